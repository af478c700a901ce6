import AsyncHTTPClient
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EssentialsCompat
import NIOCore

/// Where STS is reached, as the SDKs decide it: `AWS_ENDPOINT_URL_STS`, else `AWS_ENDPOINT_URL`,
/// else the regional endpoint of `region`. Tests point the first at moto_server.
struct STSEndpoint: Sendable, Equatable {
    let url: String
    let region: String

    init(environment: [String: String], region: String) {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let configured = value("AWS_ENDPOINT_URL_STS") ?? value("AWS_ENDPOINT_URL")
        self.url = configured.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 } ?? "https://sts.\(region).amazonaws.com"
        self.region = region
    }

    /// The `Host` header SigV4 signs: the URL's authority.
    var host: String {
        guard let components = URLComponents(string: url), let host = components.host else { return url }
        return components.port.map { "\(host):\($0)" } ?? host
    }
}

/// STS AssumeRole: a role's temporary credentials, asked for with the credentials of a source
/// profile (`role_arn` + `source_profile` or `credential_source`). The request is signed with the
/// source's current credentials, fetched afresh each time (they may be temporary too).
struct AssumeRoleCredentials: CredentialProvider {
    let base: any CredentialProvider
    let roleARN: String
    let sessionName: String
    let externalID: String?
    let durationSeconds: Int?
    let endpoint: STSEndpoint
    let http: HTTPClient
    /// `profile ci in ~/.aws/config`, for the source line.
    let via: String

    func fetch() async throws -> S3Credentials {
        let source = try await base.fetch()
        var form = [("Action", "AssumeRole"), ("Version", "2011-06-15"), ("RoleArn", roleARN), ("RoleSessionName", sessionName)]
        if let externalID { form.append(("ExternalId", externalID)) }
        if let durationSeconds { form.append(("DurationSeconds", String(durationSeconds))) }
        let body = STSForm.encode(form)
        let date = Date()
        var headers: [(name: String, value: String)] = [
            ("host", endpoint.host), ("x-amz-date", SigV4Signer.dateStamps(date).timestamp),
            ("content-type", "application/x-www-form-urlencoded; charset=utf-8"),
        ]
        if let token = source.sessionToken { headers.append(("x-amz-security-token", token)) }
        let signer = SigV4Signer(credentials: source, region: endpoint.region, service: "sts")
        let payloadHash = SHA256Hex.of(body)
        let signature = signer.sign(.init(method: "POST", path: "/", headers: headers, payloadHash: payloadHash), at: date)
        let sent = headers.filter { $0.name != "host" } + [("x-amz-content-sha256", payloadHash), ("authorization", signature.authorization)]
        let what = "STS AssumeRole of \(roleARN) at \(endpoint.url)"
        let answer = try await CredentialEndpoint(http: http, what: what)
            .send("POST", endpoint.url + "/", headers: sent.map { ($0.name, $0.value) }, body: body, timeout: .seconds(20))
        return try STSAnswer.credentials(answer, result: "AssumeRoleResult", what: what, secrets: source.secretValues,
                                         source: "\(via): role \(roleARN) assumed with \(source.source) (STS AssumeRole)")
    }
}

/// STS AssumeRoleWithWebIdentity: a role's temporary credentials for the OIDC token in a file that
/// the platform keeps fresh (EKS IAM roles for service accounts). The request is not signed: the
/// token is the proof. The file is read again on every fetch, because the platform rotates it.
struct WebIdentityCredentials: CredentialProvider {
    let tokenFile: String
    let roleARN: String
    let sessionName: String
    let endpoint: STSEndpoint
    let http: HTTPClient
    /// `AWS_WEB_IDENTITY_TOKEN_FILE`, or a profile: for the source line.
    let via: String

    func fetch() async throws -> S3Credentials {
        guard let data = FileManager.default.contents(atPath: tokenFile) else {
            throw S3CredentialsError(message: "the web identity token file \(tokenFile) (\(via)) cannot be read")
        }
        let token = String(decoding: data, as: UTF8.self).trimming(.whitespacesAndNewlines)
        guard !token.isEmpty else { throw S3CredentialsError(message: "the web identity token file \(tokenFile) (\(via)) is empty") }
        let body = STSForm.encode([("Action", "AssumeRoleWithWebIdentity"), ("Version", "2011-06-15"), ("RoleArn", roleARN),
                                   ("RoleSessionName", sessionName), ("WebIdentityToken", token)])
        let what = "STS AssumeRoleWithWebIdentity of \(roleARN) at \(endpoint.url)"
        let answer = try await CredentialEndpoint(http: http, what: what)
            .send("POST", endpoint.url + "/", headers: [("content-type", "application/x-www-form-urlencoded; charset=utf-8")],
                  body: body, timeout: .seconds(20))
        return try STSAnswer.credentials(answer, result: "AssumeRoleWithWebIdentityResult", what: what, secrets: [token],
                                         source: "the web identity token \(tokenFile) (\(via)): role \(roleARN) (STS AssumeRoleWithWebIdentity)")
    }
}

enum STSForm {
    static func encode(_ pairs: [(String, String)]) -> [UInt8] {
        Array(pairs.map { "\(URIEncoding.encode($0.0))=\(URIEncoding.encode($0.1))" }.joined(separator: "&").utf8)
    }

    /// A session name STS accepts (2-64 of `[\w+=,.@-]`) that says who asked.
    static func defaultSessionName(environment: [String: String]) -> String {
        let job = environment["BUILDKITE_JOB_ID"].map { "-" + $0 } ?? ""
        let name = "swift-cache" + job
        return String(name.filter { $0.isLetter || $0.isNumber || "+=,.@-_".contains($0) }.prefix(64))
    }
}

/// STS's XML answers, read with the S3 XML reader: the credentials of a success, or the `Code` and
/// `Message` of an `<ErrorResponse>`.
enum STSAnswer {
    static func credentials(_ answer: CredentialEndpoint.Answer, result: String, what: String, secrets: [String],
                            source: String) throws -> S3Credentials {
        let root = try? S3XMLNode.parse(answer.body)
        guard answer.isSuccess else {
            let error = root?.first("Error")
            var detail = [error?.value("Code"), error?.value("Message")].compactMap { $0 }.joined(separator: ": ")
            for secret in secrets where !secret.isEmpty { detail = detail.replacing(secret, with: "[REDACTED]") }
            let passing = ["Throttling", "ThrottlingException", "IDPCommunicationError", "RequestTimeout"].contains(error?.value("Code") ?? "")
            throw CredentialEndpoint.failure(answer, what: what, detail: detail.isEmpty ? nil : detail, passing: passing)
        }
        guard let credentials = root?.first(result)?.first("Credentials"),
              let keyID = credentials.value("AccessKeyId"), let secret = credentials.value("SecretAccessKey") else {
            throw S3CredentialsError(message: "\(what) answered HTTP \(answer.status) without credentials", isRetryable: true)
        }
        let expiration = credentials.value("Expiration").flatMap(CredentialTimestamp.parse)
        return S3Credentials(accessKeyID: keyID, secretAccessKey: secret, sessionToken: credentials.value("SessionToken"),
                             expiration: expiration, source: source)
    }
}
