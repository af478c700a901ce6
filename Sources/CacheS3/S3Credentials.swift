/// An access key pair, with the session token of temporary credentials.
///
/// Every textual form of it (`description`, `debugDescription`, `dump`) names only where it came
/// from: a credential printed once in a build log is a credential leaked to everyone who can read
/// the build.
public struct S3Credentials: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let accessKeyID: String
    public let secretAccessKey: String
    public let sessionToken: String?
    /// `environment`, `profile default in /home/agent/.aws/credentials`: for messages.
    public let source: String

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, source: String) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
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
}
