#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EssentialsCompat

/// Where a store lives: `s3://BUCKET/PREFIX?region=R&endpoint=URL&use_path_style=true`, the query
/// names that `buildkite-agent cache` uses, so one URL works for both.
///
/// `concurrency` and `part_size_mb` are accepted too (same names as the agent's) to tune transfers,
/// and `sse`, `sse_kms_key_id` and `acl` for what bucket policies commonly demand of every write.
/// An unknown query name is an error, never ignored: a typo in `use_path_style` would otherwise
/// send every request to the wrong host.
public struct S3Location: Sendable, Equatable, CustomStringConvertible {
    public let bucket: String
    /// Without leading or trailing `/`; empty for the bucket's root.
    public let prefix: String
    public internal(set) var region: String
    /// `https`, or `http` for a test server on loopback.
    public let scheme: String
    /// The service host, without the bucket (`s3.eu-west-1.amazonaws.com`, `127.0.0.1`).
    public internal(set) var host: String
    public let port: Int?
    public let usePathStyle: Bool
    public let transfer: S3TransferOptions
    /// How every object is written: server-side encryption and a canned ACL.
    public let writeOptions: S3WriteOptions

    public static let queryNames = ["region", "endpoint", "use_path_style", "concurrency", "part_size_mb",
                                    "sse", "sse_kms_key_id", "acl"]

    /// - Parameter environment: `AWS_REGION` / `AWS_DEFAULT_REGION` give the region when the URL
    ///   does not (else `us-east-1`).
    public init(url text: String, environment: [String: String] = [:]) throws(S3LocationError) {
        func fail(_ why: String) -> S3LocationError {
            S3LocationError(message: "'\(text)' is not a usable S3 store URL: \(why). "
                + "Write s3://BUCKET/PREFIX?region=REGION (optional: endpoint=URL, use_path_style=true)")
        }
        guard text.hasPrefix("s3://") else { throw fail("it does not start with s3://") }
        let rest = text.dropFirst("s3://".count)
        let pathPart = rest.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]
        let queryPart = rest.contains("?") ? String(rest.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[1]) : ""
        let segments = pathPart.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let bucket = String(segments[0])
        guard Self.isValidBucketName(bucket) else {
            throw fail("the bucket name '\(bucket)' is not valid (3-63 characters: lowercase letters, digits, '.', '-')")
        }
        let rawPrefix = segments.count > 1 ? String(segments[1]) : ""
        let prefix = (rawPrefix.percentDecoded ?? rawPrefix).split(separator: "/").joined(separator: "/")

        var query: [String: String] = [:]
        for pair in queryPart.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            let value = parts.count > 1 ? String(parts[1]).percentDecoded ?? String(parts[1]) : ""
            guard Self.queryNames.contains(name) else {
                throw fail("unknown option '\(name)' (known: \(Self.queryNames.joined(separator: ", ")))")
            }
            query[name] = value
        }

        let region = query["region"].flatMap { $0.isEmpty ? nil : $0 }
            ?? environment["AWS_REGION"].flatMap { $0.isEmpty ? nil : $0 }
            ?? environment["AWS_DEFAULT_REGION"].flatMap { $0.isEmpty ? nil : $0 }
            ?? "us-east-1"
        guard region.utf8.allSatisfy({ URIEncoding.isUnreserved($0) }) else { throw fail("the region '\(region)' is not valid") }

        var scheme = "https"
        var host = "s3.\(region).amazonaws.com"
        var port: Int?
        if let endpoint = query["endpoint"], !endpoint.isEmpty {
            let withScheme = endpoint.contains("://") ? endpoint : "https://" + endpoint
            guard let components = URLComponents(string: withScheme), let endpointHost = components.host, !endpointHost.isEmpty,
                  let endpointScheme = components.scheme?.lowercased(), ["http", "https"].contains(endpointScheme),
                  components.path.isEmpty || components.path == "/", components.query == nil else {
                throw fail("the endpoint '\(endpoint)' must be http(s)://HOST[:PORT] without a path")
            }
            scheme = endpointScheme
            host = endpointHost
            port = components.port
        }

        var pathStyle = false
        if let flag = query["use_path_style"] {
            switch flag.lowercased() {
            case "true", "1", "yes", "": pathStyle = true
            case "false", "0", "no": pathStyle = false
            default: throw fail("use_path_style must be true or false, not '\(flag)'")
            }
        }
        // Virtual-hosted names cannot work for these: a dotted bucket breaks the TLS certificate's
        // wildcard, and an IP address or localhost has no subdomains.
        if bucket.contains(".") || host == "localhost" || host.allSatisfy({ $0.isNumber || $0 == "." }) || host.contains(":") {
            pathStyle = true
        }

        var transfer = S3TransferOptions()
        if let text = query["concurrency"] {
            guard let value = Int(text), (1...64).contains(value) else { throw fail("concurrency must be 1 to 64, not '\(text)'") }
            transfer.concurrency = value
        }
        if let text = query["part_size_mb"] {
            guard let value = Int64(text), (5...5120).contains(value) else {
                throw fail("part_size_mb must be 5 to 5120 (S3's limits for a part), not '\(text)'")
            }
            transfer.partSize = value * 1024 * 1024
            transfer.multipartThreshold = Swift.max(transfer.multipartThreshold, transfer.partSize)
        }

        let writeOptions: S3WriteOptions
        do {
            writeOptions = try S3WriteOptions(sse: query["sse"], kmsKeyID: query["sse_kms_key_id"], acl: query["acl"])
        } catch {
            throw fail(error.message)
        }

        self.writeOptions = writeOptions
        self.bucket = bucket
        self.prefix = prefix
        self.region = region
        self.scheme = scheme
        self.host = host
        self.port = port
        self.usePathStyle = pathStyle
        self.transfer = transfer
    }

    /// The same bucket in `region`, after S3 said it lives there: AWS's own host follows the
    /// region; a custom endpoint stays where it is.
    func inRegion(_ region: String) -> S3Location {
        var moved = self
        if host == "s3.\(self.region).amazonaws.com" { moved.host = "s3.\(region).amazonaws.com" }
        moved.region = region
        return moved
    }

    /// `s3://bucket/prefix`, for log lines: the URL as written minus its options.
    public var description: String { "s3://\(bucket)" + (prefix.isEmpty ? "" : "/\(prefix)") }

    /// The object key for a path below the prefix.
    public func key(_ relative: String) -> String {
        prefix.isEmpty ? relative : prefix + "/" + relative
    }

    /// The `Host` header: the bucket's own name in virtual-hosted style.
    var hostHeader: String {
        let name = usePathStyle ? host : "\(bucket).\(host)"
        let bracketed = name.contains(":") ? "[\(name)]" : name
        guard let port, !(scheme == "https" && port == 443), !(scheme == "http" && port == 80) else { return bracketed }
        return "\(bracketed):\(port)"
    }

    /// The raw (unencoded) path of an object or, for `nil`, of the bucket.
    func path(forKey key: String?) -> String {
        let bucketPath = usePathStyle ? "/" + bucket : ""
        guard let key else { return bucketPath.isEmpty ? "/" : bucketPath }
        return bucketPath + "/" + key
    }

    static func isValidBucketName(_ name: String) -> Bool {
        (3...63).contains(name.utf8.count)
            && name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x2D }
            && name.first != "." && name.first != "-" && name.last != "." && name.last != "-"
    }
}

/// Server-side encryption and ownership of what the store writes (`sse=AES256|aws:kms`,
/// `sse_kms_key_id=…`, `acl=bucket-owner-full-control`): bucket policies often refuse a PUT without
/// them, and a bucket of another account needs the owner to own the objects. They go on every
/// PUT of an object and on CreateMultipartUpload (its parts inherit them).
public struct S3WriteOptions: Sendable, Equatable {
    public let serverSideEncryption: String?
    public let kmsKeyID: String?
    public let acl: String?

    public static let encryptions = ["AES256", "aws:kms"]
    /// Canned ACLs that keep a cache private; public ones are refused.
    public static let acls = ["private", "bucket-owner-read", "bucket-owner-full-control"]

    public init(sse: String? = nil, kmsKeyID: String? = nil, acl: String? = nil) throws(S3LocationError) {
        let sse = sse.flatMap { $0.isEmpty ? nil : $0 }
        let kmsKeyID = kmsKeyID.flatMap { $0.isEmpty ? nil : $0 }
        let acl = acl.flatMap { $0.isEmpty ? nil : $0 }
        if let sse, !Self.encryptions.contains(sse) {
            throw S3LocationError(message: "sse must be AES256 or aws:kms, not '\(sse)'")
        }
        if kmsKeyID != nil && sse != "aws:kms" {
            throw S3LocationError(message: "sse_kms_key_id needs sse=aws:kms")
        }
        if let acl, !Self.acls.contains(acl) {
            throw S3LocationError(message: "acl must be one of \(Self.acls.joined(separator: ", ")), not '\(acl)'")
        }
        self.serverSideEncryption = sse
        self.kmsKeyID = kmsKeyID
        self.acl = acl
    }

    /// The headers of a write.
    var headers: [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        if let serverSideEncryption { headers.append(("x-amz-server-side-encryption", serverSideEncryption)) }
        if let kmsKeyID { headers.append(("x-amz-server-side-encryption-aws-kms-key-id", kmsKeyID)) }
        if let acl { headers.append(("x-amz-acl", acl)) }
        return headers
    }
}

/// A store URL that cannot be used; the message shows the expected form.
public struct S3LocationError: Error, Sendable, CustomStringConvertible, LocalizedError {
    public let message: String
    public var description: String { message }
    public var errorDescription: String? { message }
}

/// How blobs move. Big blobs go up as multipart uploads and come down as ranged GETs, `concurrency`
/// parts at a time, each part retried on its own.
public struct S3TransferOptions: Sendable, Equatable {
    /// Blobs larger than this use multipart upload and ranged download.
    public internal(set) var multipartThreshold: Int64 = 64 * 1024 * 1024
    /// At least S3's minimum of 5 MiB (only the last part may be smaller); grown when a blob would
    /// need more than S3's 10,000 parts.
    public internal(set) var partSize: Int64 = 16 * 1024 * 1024
    public internal(set) var concurrency: Int = 4
    /// The ranges a streamed download (a restore) asks for, one after the other; nil (the default)
    /// asks for the whole object in one GET. One GET is the cheapest way to read an object in order:
    /// one request and no round trip between ranges, and some servers (moto) read the whole object
    /// for every ranged GET, which made a restore of ranges grow with the square of the blob's size.
    /// Memory does not grow with the range either way: the reader holds the bytes back (see
    /// `StreamedDownload`), and a GET cut off is resumed from its first missing byte. Tests set a
    /// small size to cut an object into many ranges.
    public internal(set) var downloadRangeSize: Int64?
    /// A streamed GET whose retries are spent while it still made this much progress since they
    /// began gets a fresh set (see `StreamedDownload`): the size of the ranges that each had
    /// retries of their own before a restore became one GET. Tests set a small size.
    public internal(set) var freshRetriesAfter: Int64 = 64 * 1024 * 1024

    public static let minimumPartSize: Int64 = 5 * 1024 * 1024
    public static let maximumParts: Int64 = 10_000

    public init() {}

    /// Values out of S3's bounds are brought into them: parts of at least 5 MiB, a threshold of at
    /// least one part, 1 to 64 transfers at once.
    public init(multipartThreshold: Int64, partSize: Int64, concurrency: Int) {
        self.partSize = Swift.max(partSize, Self.minimumPartSize)
        self.multipartThreshold = Swift.max(multipartThreshold, self.partSize)
        self.concurrency = Swift.min(Swift.max(concurrency, 1), 64)
    }

    /// The part size for a blob of `size` bytes: never more parts than S3 allows.
    func partSize(forUploadOf size: Int64) -> Int64 {
        let needed = (size + Self.maximumParts - 1) / Self.maximumParts
        return Swift.max(Swift.max(partSize, 1), needed)
    }
}
