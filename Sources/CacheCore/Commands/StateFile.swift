#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What pre-command hands to post-command, the way actions/cache keeps its state between steps:
/// each cache's keys as pre-command resolved them, and whether the store was reachable.
///
/// Keys are computed once. Rendered again after the command, a key could differ (the command
/// deleted or rewrote a checksummed file, or a glob now matches files the command created), and
/// then the job fails or saves under a key that no restore asks for. The hooks create the file
/// (`mktemp`), pass it to both binaries with `--state-file` and remove it after post-command.
///
/// The file lives in a shared temp directory, so its contents are data: post-command checks every
/// key with the rules of a rendered key and, if anything is wrong, renders the keys itself.
struct StateFile: Codable, Sendable {
    static let currentVersion = 1

    var version = currentVersion
    /// Why pre-command gave up on the store (a call failed after every retry); nil when it answered.
    var storeUnreachable: String?
    var caches: [Cache]
    /// pre-command's part of the job's annotation row, for post-command to append in one row.
    var restored: String?

    struct Cache: Codable, Sendable {
        var id: String
        /// nil when pre-command skipped the cache (`skipped` says why).
        var key: String?
        var fallbackKeys: [String]?
        /// The parts of a `caches:` key, for the agent's registry.
        var keyParts: [CacheKeyPart]?
        var skipped: String?

        enum CodingKeys: String, CodingKey {
            case id, key, skipped
            case fallbackKeys = "fallback_keys"
            case keyParts = "key_parts"
        }
    }

    enum CodingKeys: String, CodingKey {
        case version, caches, restored
        case storeUnreachable = "store_unreachable"
    }

    func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path))
    }

    /// Why a state file cannot be used; post-command then renders the keys itself.
    struct Unusable: Error, CustomStringConvertible {
        let description: String
    }

    /// The state in `path`, checked: every key is printable, non-empty text (as a rendered key
    /// must be), ids are unique, and the version is this one.
    static func read(from path: String) throws(Unusable) -> StateFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Unusable(description: "\(path) cannot be read")
        }
        if data.isEmpty { throw Unusable(description: "\(path) is empty (pre-command did not resolve any key)") }
        guard data.count <= 4 << 20 else { throw Unusable(description: "\(path) is larger than 4 MiB") }
        let state: StateFile
        do {
            state = try JSONDecoder().decode(StateFile.self, from: data)
        } catch {
            throw Unusable(description: "\(path) is not a state file of this version of swift-cache")
        }
        guard state.version == currentVersion else {
            throw Unusable(description: "\(path) has version \(state.version), expected \(currentVersion)")
        }
        var seen: Set<String> = []
        for cache in state.caches {
            guard seen.insert(cache.id).inserted else {
                throw Unusable(description: "\(path) names cache '\(cache.id.escapingControlCharacters())' twice")
            }
            let texts = [cache.id, cache.skipped ?? ""] + [cache.key].compactMap { $0 } + (cache.fallbackKeys ?? [])
                + (cache.keyParts ?? []).map(\.value)
            if texts.contains(where: \.containsControlCharacters) {
                throw Unusable(description: "\(path) holds a control character in the entry of '\(cache.id.escapingControlCharacters())'")
            }
            if cache.key == nil && cache.skipped == nil {
                throw Unusable(description: "\(path) has neither a key nor a reason to skip for '\(cache.id)'")
            }
            if let key = cache.key, key.trimmingWhitespace.isEmpty || key != key.trimmingWhitespace {
                throw Unusable(description: "\(path) holds a blank or padded key for '\(cache.id)'")
            }
        }
        if let restored = state.restored, restored.containsControlCharacters {
            throw Unusable(description: "\(path) holds a control character in its annotation part")
        }
        if let reason = state.storeUnreachable, reason.containsControlCharacters {
            throw Unusable(description: "\(path) holds a control character in its store note")
        }
        return state
    }

    func cache(_ id: String) -> Cache? { caches.first { $0.id == id } }
}
