import Foundation

/// The variables pre-command hands to the job. The hook reads `NAME=VALUE` lines from this file and
/// exports them (it never evaluates them), so names are checked here and values never contain a
/// line break.
public enum ExportFile {
    public static func lines(for results: [RestoreResult]) -> [String] {
        var lines: [String] = []
        for result in results {
            let name = result.cache.environmentName
            lines.append("SWIFT_CACHE_HIT_\(name)=\(result.outcome.hitValue)")
            let matched = (result.outcome.matchedKey ?? "").filter { $0 != "\n" && $0 != "\r" }
            lines.append("SWIFT_CACHE_MATCHED_KEY_\(name)=\(matched)")
        }
        return lines
    }

    public static func write(_ lines: [String], to path: String) throws {
        let text = lines.map { $0 + "\n" }.joined()
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }
}
