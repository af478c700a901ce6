#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The small document that makes a saved cache visible. It is written last (the commit), after the
/// blob it names is complete, so a reader that finds an entry can trust that its blob was whole.
public struct CacheEntry: Codable, Sendable, Equatable {
    /// Bumped when the meaning of an entry changes; readers skip entries of other versions.
    public static let currentVersion = 1

    public var version: Int
    public var key: String
    /// sha256 of the blob's bytes, lowercase hex: the blob's name and its integrity check.
    public var digest: String
    public var size: Int64
    public var created: Date
    /// `linux/amd64`: where the archive was made, for people reading the store.
    public var platform: String
    /// The archive members (`checkout/node_modules`, `home/.npm`).
    public var members: [String]
    public var branch: String
    public var format: String
    /// The job that saved it, to trace a bad cache back to its build.
    public var job: String?

    public init(key: String, digest: String, size: Int64, created: Date, platform: String, members: [String],
                branch: String, job: String?) {
        self.version = Self.currentVersion
        self.key = key
        self.digest = digest
        self.size = size
        self.created = created
        self.platform = platform
        self.members = members
        self.branch = branch
        self.format = "tar+zstd"
        self.job = job
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    public func encoded() throws -> Data { try Self.encoder.encode(self) }

    public static func decode(_ data: Data) throws -> CacheEntry { try decoder.decode(CacheEntry.self, from: data) }

    /// The entry in `data` if this plugin can trust it as data, else nil (a miss). Stores are shared
    /// and may hold entries of another version or written by someone hostile: a document that does
    /// not decode, has another version, names its blob with anything but a sha256, or holds a
    /// control character in any string (a key with a line break would otherwise reach the export
    /// file and the log) is treated as absent, never used.
    public static func readable(from data: Data) -> CacheEntry? {
        guard let entry = try? decode(data), entry.version == currentVersion, isValidDigest(entry.digest) else {
            return nil
        }
        let strings = [entry.key, entry.digest, entry.platform, entry.branch, entry.format, entry.job ?? ""] + entry.members
        return strings.contains(where: \.containsControlCharacters) ? nil : entry
    }

    /// A digest we are willing to use as a file or object name.
    public static func isValidDigest(_ digest: String) -> Bool {
        digest.utf8.count == 64 && digest.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}
