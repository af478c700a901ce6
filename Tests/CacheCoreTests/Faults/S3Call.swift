/// Which S3 call of the store a request is, told apart the way S3 itself does: by method, path and
/// query. The fault plans and the counts in the tests speak in these, so a test reads "the commit
/// was sent three times" rather than "three PUTs whose path ends in .json".
enum S3Call: String, Sendable, CaseIterable, CustomStringConvertible {
    case getEntry = "GET entry"
    case putEntry = "PUT entry"
    case deleteEntry = "DELETE entry"
    case listObjects = "ListObjectsV2"
    case headBlob = "HEAD blob"
    case getBlob = "GET blob"
    case getBlobRange = "GET blob range"
    case putBlob = "PUT blob"
    case createMultipartUpload = "CreateMultipartUpload"
    case uploadPart = "UploadPart"
    case completeMultipartUpload = "CompleteMultipartUpload"
    case abortMultipartUpload = "AbortMultipartUpload"
    /// Anything the store does not send (creating a bucket in a fixture, say).
    case other = "other"

    var description: String { rawValue }

    /// - Parameters:
    ///   - path: the request path, percent-decoded.
    ///   - query: the query's names and values, percent-decoded.
    ///   - hasRange: whether the request carries a `Range` header.
    init(method: String, path: String, query: [String: String], hasRange: Bool) {
        let isEntry = path.contains("/v1/entries/") && path.hasSuffix(".json")
        let isBlob = path.contains("/v1/blobs/")
        switch method {
        case "GET" where query["list-type"] != nil: self = .listObjects
        case "GET" where isEntry: self = .getEntry
        case "GET" where isBlob: self = hasRange ? .getBlobRange : .getBlob
        case "HEAD" where isBlob: self = .headBlob
        case "PUT" where query["partNumber"] != nil: self = .uploadPart
        case "PUT" where isEntry: self = .putEntry
        case "PUT" where isBlob: self = .putBlob
        case "POST" where query["uploads"] != nil: self = .createMultipartUpload
        case "POST" where query["uploadId"] != nil: self = .completeMultipartUpload
        case "DELETE" where query["uploadId"] != nil: self = .abortMultipartUpload
        case "DELETE" where isEntry: self = .deleteEntry
        default: self = .other
        }
    }
}
