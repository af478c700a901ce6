#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The variables pre-command hands to the job: one writer (this) and one reader
/// (`hooks/lib/exports.bash`) of a strict format.
///
/// Each line is `NAME=VALUE`. NAME is one of the documented names below, followed by a cache's
/// environment name (`[A-Z0-9_]+`); VALUE holds no control character. The hook checks the same
/// rules again, byte by byte, and exports nothing else: a key is data from branches, environment
/// values and shared stores, and must never become an export of its own.
public enum ExportFile {
    /// The documented name prefixes; the hook's allow-list is the same two.
    public static let hitPrefix = "SWIFT_CACHE_HIT_"
    public static let matchedKeyPrefix = "SWIFT_CACHE_MATCHED_KEY_"

    /// The lines for these results. A value that breaks the format (which validation upstream
    /// should already have made impossible) is left out and reported in `refused`.
    /// Caches in `skipped` (ids of caches that were not looked up at all) read as misses.
    public static func lines(for results: [RestoreResult], skipped: [String] = []) -> (lines: [String], refused: [String]) {
        var lines: [String] = []
        var refused: [String] = []
        let outcomes = results.map { ($0.cache.environmentName, $0.outcome.hitValue, $0.outcome.matchedKey ?? "") }
            + skipped.map { (ResolvedCache.environmentName(of: $0), "miss", "") }
        for (suffix, hit, matched) in outcomes {
            let pairs = [(hitPrefix + suffix, hit), (matchedKeyPrefix + suffix, matched)]
            for (name, value) in pairs {
                if isExportable(name: name, value: value) {
                    lines.append(name + "=" + value)
                } else {
                    refused.append(name)
                }
            }
        }
        return (lines, refused)
    }

    /// The rule both sides apply to a line.
    public static func isExportable(name: String, value: String) -> Bool {
        guard let suffix = [hitPrefix, matchedKeyPrefix].first(where: name.hasPrefix).map({ name.dropFirst($0.count) }),
              !suffix.isEmpty,
              suffix.utf8.allSatisfy({ (0x41...0x5A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F })
        else { return false }
        return !value.containsControlCharacters
    }

    public static func write(_ lines: [String], to path: String) throws {
        let text = lines.map { $0 + "\n" }.joined()
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }
}
