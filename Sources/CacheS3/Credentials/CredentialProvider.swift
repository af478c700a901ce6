/// One place credentials come from (the environment, a profile, STS, the instance metadata
/// service, …). `fetch` is called for the first request and again whenever the last answer is
/// about to expire, so a provider of temporary credentials asks its source afresh each time.
public protocol CredentialProvider: Sendable {
    func fetch() async throws -> S3Credentials
}

/// Keys known up front (the environment, a profile's static keys, a test's fixed pair).
public struct StaticCredentials: CredentialProvider {
    public let credentials: S3Credentials

    public init(_ credentials: S3Credentials) { self.credentials = credentials }

    public func fetch() async throws -> S3Credentials { credentials }
}
