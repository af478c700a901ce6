#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The first entry of an agent archive, `.buildkite/cache-manifest.json`: which anchor each
/// `_i/` namespace is relative to, e.g. `{"version":2,"mappings":{"_0":"~","_1":"."}}`.
struct AgentManifest: Equatable {
    static let entryName = ".buildkite/cache-manifest.json"
    static let version = 2
    /// A manifest is a few dozen bytes; anything this large is not one.
    static let maxBytes = 1 << 20

    /// Namespace (`_0`, `_1`, ...) -> anchor.
    var mappings: [String: AgentAnchor]

    /// Compact JSON with the keys sorted, as Go's encoding/json writes a map, so the bytes are
    /// the same for the same targets.
    func encoded() -> [UInt8] {
        let pairs = mappings.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            .map { "\"\($0)\":\"\(mappings[$0]!.rawValue)\"" }
        return Array("{\"version\":\(Self.version),\"mappings\":{\(pairs.joined(separator: ","))}}".utf8)
    }

    /// Parses and checks a manifest as the agent does: JSON, version 2, known anchors only.
    static func decode(_ bytes: [UInt8], archive: String) throws(ArchiveError) -> AgentManifest {
        struct Wire: Decodable {
            var version: Int
            var mappings: [String: String]?
        }
        let wire: Wire
        do {
            wire = try JSONDecoder().decode(Wire.self, from: Data(bytes))
        } catch {
            throw ArchiveError(.malformedArchive, "archive \(archive) is not an agent cache archive: its manifest \(entryName) is not valid JSON (\(error)); the entry was not used")
        }
        guard wire.version == version else {
            throw ArchiveError(.malformedArchive, "archive \(archive) has manifest version \(wire.version); only version \(version) (buildkite-agent's v2 cache format) is understood, so the entry was not used")
        }
        var mappings: [String: AgentAnchor] = [:]
        for (namespace, anchor) in wire.mappings ?? [:] {
            guard let known = AgentAnchor(rawValue: anchor) else {
                throw ArchiveError(.malformedArchive, "archive \(archive) maps namespace '\(namespace)' to the unrecognized anchor '\(anchor)' (known: ~, ., /); the entry was not used")
            }
            guard !namespace.isEmpty, !namespace.contains("/"), namespace != ".", namespace != ".." else {
                throw ArchiveError(.malformedArchive, "archive \(archive) has a manifest namespace '\(namespace)' that is not a single path component; the entry was not used")
            }
            mappings[namespace] = known
        }
        return AgentManifest(mappings: mappings)
    }
}
