import CSystemCalls
import CacheRetry
import EssentialsCompat
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The agent's `file://` blob store, laid out exactly as `buildkite-agent cache` lays it, so both
/// read and write the same files:
///
///     ROOT/<sha256 hex>              the archive
///     ROOT/<sha256 hex>.attrs.json   {key, size, mod_time, mode, sha256, created_at, version: 1}
///
/// Both are written atomically (a temp file in ROOT, fsync, rename, fsync of ROOT); two jobs
/// storing one blob at once write the same bytes, and the last rename wins whole.
struct AgentFileBlobStore: Sendable {
    let root: String

    /// `file:///path`. The agent rejects `/` and `.` as roots; we also reject `file://~/x`, whose
    /// `~` the agent reads as a host name (it would use `/x`), so the two never disagree silently.
    init(url: String) throws {
        guard url.hasPrefix("file://") else {
            throw StoreError.badURL("BUILDKITE_AGENT_CACHE_STORE_URL '\(url)' must be file:///path for a file store")
        }
        let rest = String(url.dropFirst("file://".count))
        guard rest.hasPrefix("/") else {
            throw StoreError.badURL("BUILDKITE_AGENT_CACHE_STORE_URL '\(url)': write the root as an absolute path, file:///path "
                + "(buildkite-agent reads the part after file:// up to the next '/' as a host name and ignores it)")
        }
        var path = rest.percentDecoded ?? rest
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        let cleaned = path.lexicallyCleaned
        guard !cleaned.isEmpty, cleaned != "/", cleaned != "." else {
            throw StoreError.badURL("BUILDKITE_AGENT_CACHE_STORE_URL '\(url)': invalid root directory")
        }
        root = cleaned
    }

    var description: String { "file://\(root)" }

    func blobPath(_ digest: String) -> String { root + "/" + digest }

    func fetch(digest: String, retrier: Retrier) async throws -> LocalBlob {
        let path = blobPath(digest)
        return try await retrier.run("open blob \(digest.prefix(12))…") {
            var info = stat()
            guard stat(path, &info) == 0 else {
                if errno == ENOENT { throw StoreError.blobMissing(digest: digest) }
                throw FileSystemError.current(path: path)
            }
            return LocalBlob(path: path, isTemporary: false)
        }
    }

    /// Beside the blobs, so that storing is a rename. Hidden, like the agent's own temp files.
    func temporaryArchivePath() throws -> String {
        try DurableFile.makeDirectories(root)
        return root + "/.zstash-upload-" + UUID().uuidString
    }

    func put(from path: String, digest: String, retrier: Retrier, now: Date = Date()) async throws {
        let destination = blobPath(digest)
        let root = root
        try await retrier.run("store blob \(digest.prefix(12))…") {
            try DurableFile.makeDirectories(root)
            var source = path
            if !path.hasPrefix(root + "/") {
                source = root + "/.zstash-upload-" + UUID().uuidString
                do {
                    try FileManager.default.copyItem(atPath: path, toPath: source)
                } catch {
                    try? FileManager.default.removeItem(atPath: source)
                    throw error
                }
            }
            chmod(source, 0o644)
            try DurableFile.commit(existing: source, to: destination)
            if source != path { unlink(path) }
            var info = stat()
            guard stat(destination, &info) == 0 else { throw FileSystemError.current(path: destination) }
            let attributes = Attributes(key: digest, size: Int64(info.st_size),
                                        modTime: Self.timestamp(seconds: info.st_mtim.tv_sec, nanoseconds: info.st_mtim.tv_nsec),
                                        mode: "0644", sha256: digest, createdAt: Self.timestamp(now), version: 1)
            try DurableFile.store(try JSONEncoder().encode(attributes), at: destination + ".attrs.json", temporaryDirectory: root)
        }
    }

    /// The sidecar document, with the agent's field names.
    struct Attributes: Codable {
        var key: String
        var size: Int64
        var modTime: String
        var mode: String
        var sha256: String
        var createdAt: String
        var version: Int

        enum CodingKeys: String, CodingKey {
            case key, size, mode, sha256, version
            case modTime = "mod_time"
            case createdAt = "created_at"
        }
    }

    /// RFC 3339 with nanoseconds, as Go's `time.RFC3339Nano` writes it (trailing zeros dropped).
    static func timestamp(seconds: Int, nanoseconds: Int) -> String {
        let whole = Date(timeIntervalSince1970: TimeInterval(seconds)).formatted(.iso8601)
        guard nanoseconds > 0 else { return whole }
        let digits = String(nanoseconds)
        var fraction = String(repeating: "0", count: max(0, 9 - digits.count)) + digits
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return String(whole.dropLast()) + "." + fraction + "Z"
    }

    static func timestamp(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        return timestamp(seconds: Int(seconds), nanoseconds: Int((date.timeIntervalSince1970 - seconds) * 1e9))
    }
}
