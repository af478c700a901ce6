import AsyncHTTPClient
import CacheRetry
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A failed S3 call: which operation on which object, what the service said (status, S3's error
/// Code and Message from the XML body), and what to do about it.
///
/// `isRetryable` follows the shared rule: 429 and 5xx, no answer at all (refused, reset, timeout,
/// DNS, TLS, EOF), and an answer whose body could not be read or decoded whatever its status are
/// worth another try; every other 4xx is final. The description never holds a credential or a
/// signature: the client builds it from the parsed Code and Message only, and scrubs those too.
public struct S3Error: Error, Sendable, RetryableError, CustomStringConvertible, LocalizedError {
    public enum Reason: Sendable, Equatable {
        /// The service answered with an error status.
        case status(Int, code: String?, message: String?)
        /// No usable answer: the connection failed or broke.
        case transport(String, isRetryable: Bool)
        /// An answer came but its body could not be read or made sense of.
        case unreadableBody(status: Int, detail: String)
        /// A local problem (reading the file to upload, writing the download).
        case local(String)
    }

    /// `GET object`, `UploadPart 3/12`, …
    public let operation: String
    public let bucket: String
    public let key: String?
    public let reason: Reason
    /// What to do, when we can tell.
    public let hint: String?

    public init(operation: String, bucket: String, key: String?, reason: Reason, hint: String? = nil) {
        self.operation = operation
        self.bucket = bucket
        self.key = key
        self.reason = reason
        self.hint = hint
    }

    public var status: Int? {
        switch reason {
        case .status(let status, _, _), .unreadableBody(let status, _): status
        default: nil
        }
    }

    /// S3's error Code (`NoSuchKey`, `AccessDenied`, `SlowDown`, …).
    public var code: String? {
        if case .status(_, let code, _) = reason { return code }
        return nil
    }

    /// Codes that say the credentials themselves are wrong, expired or unusable (or the clock is):
    /// never a plain miss, even on the 403 that otherwise means "no such entry".
    public static let credentialCodes: Set<String> = ["InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken",
                                                      "InvalidToken", "RequestTimeTooSkewed", "TokenRefreshRequired"]

    public var isCredentialFailure: Bool { code.map { Self.credentialCodes.contains($0) } ?? false }

    public var isNotFound: Bool {
        if case .status(404, _, _) = reason { return true }
        return false
    }

    public var isRetryable: Bool {
        switch reason {
        case .status(let status, let code, _):
            return Self.isRetryable(status: status, code: code)
        case .transport(_, let isRetryable):
            return isRetryable
        case .unreadableBody:
            return true
        case .local:
            return false
        }
    }

    static func isRetryable(status: Int, code: String?) -> Bool {
        if status == 429 || (500...599).contains(status) || status == 408 { return true }
        // S3's own passing conditions that come with a 4xx: an idle upload socket closed by S3, and
        // two conditional writes of one key at the same instant.
        return ["RequestTimeout", "ConditionalRequestConflict", "OperationAborted", "SlowDown"].contains(code ?? "")
    }

    public var description: String {
        let target = "s3://\(bucket)" + (key.map { "/\($0)" } ?? "")
        var text = "S3 \(operation) \(target) failed: "
        switch reason {
        case .status(let status, let code, let message):
            text += "HTTP \(status)"
            if let code, !code.isEmpty { text += " \(code)" }
            if let message, !message.isEmpty { text += ": \(message)" }
        case .transport(let detail, _):
            text += "no answer (\(detail))"
        case .unreadableBody(let status, let detail):
            text += "HTTP \(status) with a body that could not be read (\(detail))"
        case .local(let detail):
            text += detail
        }
        if let hint { text += "; \(hint)" }
        return text
    }

    public var errorDescription: String? { description }
}

extension S3Error {
    /// A failure of the HTTP layer itself. Configuration mistakes (a bad URL, a client already shut
    /// down) are final; everything else the network can throw at us passes with time.
    static func transport(_ error: any Error, operation: String, bucket: String, key: String?) -> S3Error {
        let retryable = !S3HTTPClient.isConfigurationFailure(error)
        let detail = "\(error)"
        return S3Error(operation: operation, bucket: bucket, key: key, reason: .transport(detail, isRetryable: retryable),
                       hint: retryable ? nil : "this is a configuration problem, check the store URL")
    }

    /// What a person can do about an error status.
    static func hint(status: Int, code: String?, regionHeader: String?, region: String, credentials: String, action: String) -> String? {
        switch (status, code ?? "") {
        case (_, "PermanentRedirect"), (_, "AuthorizationHeaderMalformed"), (301, _), (307, _):
            if let regionHeader, regionHeader != region {
                return "the bucket is in \(regionHeader), not \(region): add ?region=\(regionHeader) to the store URL"
            }
            return "the bucket is probably in another region: set ?region= in the store URL"
        case (_, "NoSuchBucket"):
            return "check the bucket name in the store URL"
        case (_, "InvalidAccessKeyId"):
            return "the service does not know the access key ID of the \(credentials): check them, and that the endpoint is the service they belong to"
        case (_, "SignatureDoesNotMatch"):
            return "the secret key of the \(credentials) does not match its key ID (or something between changed the request): check them"
        case (_, "ExpiredToken"), (_, "TokenRefreshRequired"):
            return "the session token of the \(credentials) has expired: keys exported by a hook do not refresh; "
                + "give the agent an instance role, IRSA or a profile with role_arn instead"
        case (_, "InvalidToken"):
            return "the session token of the \(credentials) is malformed or belongs to another service: check AWS_SESSION_TOKEN"
        case (_, "RequestTimeTooSkewed"):
            return "the agent's clock is more than 15 minutes off: synchronise it (NTP)"
        case (403, _):
            return "check that the \(credentials) allow \(action) on the bucket"
        default:
            return nil
        }
    }
}
