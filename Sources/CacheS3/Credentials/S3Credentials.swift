import CacheRetry
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An access key pair, with the session token and expiry of temporary credentials.
///
/// Every textual form of it (`description`, `debugDescription`, `dump`) names only where it came
/// from: a credential printed once in a build log is a credential leaked to everyone who can read
/// the build.
public struct S3Credentials: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let accessKeyID: String
    public let secretAccessKey: String
    public let sessionToken: String?
    /// When temporary credentials stop working; nil for long-lived keys.
    public let expiration: Date?
    /// `the environment (AWS_ACCESS_KEY_ID)`, `profile ci in /home/agent/.aws/credentials`: for messages.
    public let source: String

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Date? = nil,
                source: String) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
        self.source = source
    }

    public var description: String {
        "AWS credentials from \(source)\(sessionToken == nil ? "" : " (temporary, with a session token)")"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror { Mirror(self, children: ["source": source]) }

    /// The values that must never appear in any text we print, for the error paths that echo
    /// what a server said.
    var secretValues: [String] {
        [accessKeyID, secretAccessKey, sessionToken].compactMap { $0 }.filter { !$0.isEmpty }
    }

    /// The same keys, said to come from `source` (an assumed role names the profile it came through).
    func from(_ source: String) -> S3Credentials {
        S3Credentials(accessKeyID: accessKeyID, secretAccessKey: secretAccessKey, sessionToken: sessionToken,
                      expiration: expiration, source: source)
    }
}

/// Credentials that could not be found, read or fetched; the message says what to set. Never holds
/// a secret: messages are built from names, paths and the service's error code.
public struct S3CredentialsError: Error, Sendable, CustomStringConvertible, LocalizedError, RetryableError {
    public let message: String
    /// A credentials endpoint that failed for the moment (5xx, throttling, a dropped connection) is
    /// worth another try; a missing or broken configuration is not.
    public let isRetryable: Bool

    public init(message: String, isRetryable: Bool = false) {
        self.message = message
        self.isRetryable = isRetryable
    }

    public var description: String { message }
    public var errorDescription: String? { message }
}
