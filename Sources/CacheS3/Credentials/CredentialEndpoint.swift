import AsyncHTTPClient
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EssentialsCompat
import NIOCore
import NIOHTTP1

/// One HTTP call to a credentials service (STS, the container endpoint, the instance metadata
/// service), on the shared client. Failures become `S3CredentialsError`s: no answer, 429 and 5xx
/// pass with time (retryable); what the caller makes of other statuses is its own business.
struct CredentialEndpoint: Sendable {
    let http: HTTPClient
    /// What is being asked, for messages: `STS AssumeRole at https://sts.eu-west-1.amazonaws.com`.
    let what: String

    struct Answer: Sendable {
        let status: Int
        let body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        var isSuccess: Bool { (200...299).contains(status) }
    }

    func send(_ method: String, _ url: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
              timeout: TimeAmount) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        do {
            let response = try await http.execute(request, timeout: timeout)
            let buffer = try await response.body.collect(upTo: 1 << 20)
            return Answer(status: Int(response.status.code), body: Array(buffer.readableBytesView))
        } catch let error as CancellationError {
            throw error
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw S3CredentialsError(message: "\(what) did not answer (\(Self.describe(error)))", isRetryable: true)
        }
    }

    /// The failure for an answer the caller could not use: passing for 429 and 5xx.
    func failure(_ answer: Answer, detail: String? = nil) -> S3CredentialsError {
        Self.failure(answer, what: what, detail: detail)
    }

    static func failure(_ answer: Answer, what: String, detail: String? = nil, passing: Bool = false) -> S3CredentialsError {
        S3CredentialsError(message: "\(what) answered HTTP \(answer.status)" + (detail.map { ": \($0)" } ?? ""),
                           isRetryable: passing || answer.status == 429 || (500...599).contains(answer.status))
    }

    /// A library error in words, without its request (which may carry a token in a header).
    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            if error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout { return "timed out" }
            return "\(error)"
        }
        return "\(error)"
    }
}

/// The JSON that the container endpoint, the instance metadata service and `credential_process`
/// all answer with (they differ only in what they call the session token).
struct TemporaryCredentialsDocument: Decodable {
    let AccessKeyId: String?
    let SecretAccessKey: String?
    let Token: String?
    let SessionToken: String?
    let Expiration: String?
    /// The metadata service's `Success`, or what went wrong.
    let Code: String?
    let Version: Int?

    /// - Throws: when a key is missing or the expiry is not a date; `what` names the source.
    static func credentials(from bytes: [UInt8], source: String, what: String) throws -> S3Credentials {
        guard let document = try? JSONDecoder().decode(Self.self, from: Data(bytes)) else {
            throw S3CredentialsError(message: "\(what) did not answer with a JSON credentials document (\(bytes.count) bytes)",
                                     isRetryable: true)
        }
        if let code = document.Code, code != "Success" {
            throw S3CredentialsError(message: "\(what) answered Code \(code)", isRetryable: true)
        }
        guard let keyID = document.AccessKeyId, !keyID.isEmpty, let secret = document.SecretAccessKey, !secret.isEmpty else {
            throw S3CredentialsError(message: "\(what) answered without AccessKeyId and SecretAccessKey")
        }
        var expiration: Date?
        if let text = document.Expiration {
            guard let date = CredentialTimestamp.parse(text) else {
                throw S3CredentialsError(message: "\(what) answered an Expiration that is not an ISO 8601 time")
            }
            expiration = date
        }
        return S3Credentials(accessKeyID: keyID, secretAccessKey: secret, sessionToken: document.Token ?? document.SessionToken,
                             expiration: expiration, source: source)
    }
}

/// The expiry times credentials services write: `2026-11-30T05:39:56Z`, with any number of
/// fraction digits (STS on moto writes six), or with an offset instead of `Z`.
enum CredentialTimestamp {
    static func parse(_ text: String) -> Date? {
        var trimmed = text.trimming(.whitespaces)
        if let dot = trimmed.firstIndex(of: ".") {
            let end = trimmed[dot...].firstIndex { $0 == "Z" || $0 == "+" || $0 == "-" } ?? trimmed.endIndex
            trimmed.removeSubrange(dot ..< end)
        }
        return try? Date(trimmed, strategy: .iso8601)
    }
}
