#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// The JSON bodies of the agent's v2 cache API, field for field as `buildkite-agent cache` sends
// and reads them (snake_case on the wire). Unknown response fields are ignored; a field we rely
// on that is missing makes the answer undecodable, which is retried like a cut body.

/// One part of a registry `cache_key`: parts marked mandatory must match exactly; the others
/// may differ in a fallback hit.
public struct CacheKeyPart: Codable, Sendable, Equatable {
    public var value: String
    public var mandatory: Bool

    public init(value: String, mandatory: Bool) {
        self.value = value
        self.mandatory = mandatory
    }
}

struct CacheDigest: Codable, Sendable, Equatable {
    var algorithm: String
    var value: String
}

struct CacheBlob: Codable, Sendable, Equatable {
    var digest: CacheDigest
    var fileSize: Int64
    var compression: String

    enum CodingKeys: String, CodingKey {
        case digest, compression
        case fileSize = "file_size"
    }
}

/// The address of an entry: the set of target paths and the key parts.
struct RegistryAddress: Codable, Sendable, Equatable {
    var targetPaths: [String]
    var cacheKey: [CacheKeyPart]

    enum CodingKeys: String, CodingKey {
        case targetPaths = "target_paths"
        case cacheKey = "cache_key"
    }
}

/// peek and retrieve on the save side carry the scopes the entry is saved under.
struct RegistryLookup: Encodable, Sendable {
    var targetPaths: [String]
    var cacheKey: [CacheKeyPart]
    var scopes: [String: String]?

    enum CodingKeys: String, CodingKey {
        case scopes
        case targetPaths = "target_paths"
        case cacheKey = "cache_key"
    }
}

struct RegistryInfo: Decodable, Sendable {
    var uuid: String?
    var name: String?
    var store: String
}

/// What peek and retrieve answer for an entry that exists.
struct RegistryEntry: Decodable, Sendable {
    var targetPaths: [String]?
    var cacheKey: [CacheKeyPart]?
    var blobs: [CacheBlob]?
    var store: String?
    var fallback: Bool?
    var expiresAt: String?
    var message: String?

    enum CodingKeys: String, CodingKey {
        case blobs, store, fallback, message
        case targetPaths = "target_paths"
        case cacheKey = "cache_key"
        case expiresAt = "expires_at"
    }
}

struct RegistryCreate: Encodable, Sendable {
    var targetPaths: [String]
    var cacheKey: [CacheKeyPart]
    var blobs: [CacheBlob]
    var platform: String
    var scopes: [String: String]

    enum CodingKeys: String, CodingKey {
        case blobs, platform, scopes
        case targetPaths = "target_paths"
        case cacheKey = "cache_key"
    }
}

struct RegistryCreated: Decodable, Sendable {
    var uploadID: String
    var message: String?

    enum CodingKeys: String, CodingKey {
        case message
        case uploadID = "upload_id"
    }
}

struct RegistryCommit: Encodable, Sendable {
    var uploadID: String

    enum CodingKeys: String, CodingKey {
        case uploadID = "upload_id"
    }
}

/// Any answer whose fields we do not need (commit), and the `message` of an error answer.
struct RegistryMessage: Decodable, Sendable {
    var message: String?
}
