import AsyncHTTPClient
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EssentialsCompat
import NIOCore

/// The container credentials endpoint: ECS task roles (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`,
/// below 169.254.170.2) and EKS Pod Identity (`AWS_CONTAINER_CREDENTIALS_FULL_URI`, with
/// `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` or `AWS_CONTAINER_AUTHORIZATION_TOKEN`).
///
/// The token file is read on every fetch: the agent that writes it rotates it.
public struct ContainerCredentials: CredentialProvider {
    let url: String
    let tokenFile: String?
    let token: String?
    let http: HTTPClient
    /// Which variable named the endpoint, for the source line; the URL itself may hold an ID.
    let via: String

    /// The ECS agent's fixed address for relative URIs.
    public static let ecsHost = "http://169.254.170.2"
    /// Plain HTTP only to these hosts, as the SDKs allow it: loopback and the ECS and EKS agents.
    static let plainHTTPHosts = ["127.0.0.1", "localhost", "::1", "169.254.170.2", "169.254.170.23", "fd00:ec2::23"]

    /// nil when neither variable is set.
    static func fromEnvironment(_ environment: [String: String], http: HTTPClient,
                                relativeHost: String = ecsHost) throws(S3CredentialsError) -> ContainerCredentials? {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let url: String
        let via: String
        if let relative = value("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
            url = relativeHost + (relative.hasPrefix("/") ? relative : "/" + relative)
            via = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
        } else if let full = value("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
            guard let components = URLComponents(string: full), let scheme = components.scheme?.lowercased(),
                  let host = components.host,
                  scheme == "https" || (scheme == "http" && plainHTTPHosts.contains(host.trimming(["[", "]"]))) else {
                throw S3CredentialsError(message: "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to a loopback "
                    + "address or 169.254.170.2/169.254.170.23 (the ECS and EKS agents)")
            }
            url = full
            via = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
        } else {
            return nil
        }
        return ContainerCredentials(url: url, tokenFile: value("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"),
                                    token: value("AWS_CONTAINER_AUTHORIZATION_TOKEN"), http: http, via: via)
    }

    public func fetch() async throws -> S3Credentials {
        var authorization = token
        if let tokenFile {
            guard let data = FileManager.default.contents(atPath: tokenFile) else {
                throw S3CredentialsError(message: "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \(tokenFile) cannot be read")
            }
            authorization = String(decoding: data, as: UTF8.self).trimming(.whitespacesAndNewlines)
        }
        let what = "the container credentials endpoint (\(via))"
        let endpoint = CredentialEndpoint(http: http, what: what)
        let answer = try await endpoint.send("GET", url, headers: authorization.map { [("Authorization", $0)] } ?? [],
                                             timeout: .seconds(5))
        guard answer.isSuccess else { throw endpoint.failure(answer) }
        return try TemporaryCredentialsDocument.credentials(from: answer.body, source: what, what: what)
    }
}

/// The EC2 instance metadata service, with IMDSv2 session tokens (a PUT for a token, then GETs
/// that carry it): the instance role of an EC2 host, such as the Elastic CI Stack's agents.
/// `AWS_EC2_METADATA_SERVICE_ENDPOINT` moves it (tests, IPv6 hosts).
struct InstanceMetadataCredentials: CredentialProvider {
    let endpoint: String
    let http: HTTPClient

    static let defaultEndpoint = "http://169.254.169.254"
    static let credentialsPath = "/latest/meta-data/iam/security-credentials/"

    init(environment: [String: String], http: HTTPClient) {
        let configured = environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 }
        let endpoint = configured ?? Self.defaultEndpoint
        self.endpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        self.http = http
    }

    static func isDisabled(_ environment: [String: String]) -> Bool {
        environment["AWS_EC2_METADATA_DISABLED"]?.lowercased() == "true"
    }

    func fetch() async throws -> S3Credentials {
        let what = "the EC2 instance metadata service at \(endpoint)"
        let service = CredentialEndpoint(http: http, what: what)
        // Off EC2 nothing answers at this address: a short wait, then a clear "not here".
        let tokenAnswer: CredentialEndpoint.Answer
        do {
            tokenAnswer = try await service.send("PUT", endpoint + "/latest/api/token",
                                                 headers: [("X-aws-ec2-metadata-token-ttl-seconds", "21600")], timeout: .seconds(2))
        } catch let error as S3CredentialsError {
            throw S3CredentialsError(message: error.message + "; this host is not an EC2 instance, or its metadata service is off")
        }
        var headers: [(String, String)] = []
        if tokenAnswer.isSuccess {
            headers.append(("X-aws-ec2-metadata-token", tokenAnswer.text))
        } else if ![403, 404, 405].contains(tokenAnswer.status) {
            // 403/404/405: an IMDSv1-only service (or a proxy that forbids PUT); anything else is a failure.
            throw service.failure(tokenAnswer, detail: "no IMDSv2 session token")
        }
        let roles = try await service.send("GET", endpoint + Self.credentialsPath, headers: headers, timeout: .seconds(5))
        guard roles.isSuccess else {
            if roles.status == 404 {
                throw S3CredentialsError(message: "\(what) has no IAM role for this instance: attach an instance profile")
            }
            throw service.failure(roles)
        }
        guard let role = roles.text.split(whereSeparator: { $0.isNewline }).first.map(String.init), !role.isEmpty else {
            throw S3CredentialsError(message: "\(what) lists no IAM role for this instance: attach an instance profile")
        }
        let document = try await service.send("GET", endpoint + Self.credentialsPath + URIEncoding.encode(role),
                                              headers: headers, timeout: .seconds(5))
        guard document.isSuccess else { throw service.failure(document) }
        return try TemporaryCredentialsDocument.credentials(from: document.body, source: "EC2 instance metadata: role \(role)", what: what)
    }
}
