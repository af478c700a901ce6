import CacheRetry
import Foundation
import TestSupport
import Testing
@testable import CacheS3

/// Answers no real service gives on purpose but networks do: a body cut off mid-stream, a proxy's
/// HTML page where XML was expected. Served raw from a socket, because that is what they are.
@Suite("Broken answers")
struct BrokenAnswerTests {
    func client(_ server: CannedHTTPServer, transfer: S3TransferOptions? = nil) throws -> S3Client {
        S3Client(location: try S3Location(url: "s3://bucket/p?endpoint=http://127.0.0.1:\(server.port)"), credentials: .forTests, transfer: transfer)
    }

    @Test func aBodyCutOffMidStreamIsRetryableWhateverItsStatus() async throws {
        let server = try CannedHTTPServer(response: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nContent-Type: application/json\r\n\r\n{\"version\":1,")
        defer { server.stop() }
        await #expect {
            _ = try await client(server).get("p/entry.json")
        } throws: { error in
            (error as? S3Error)?.isRetryable == true && "\(error)".contains("GET object")
        }
    }

    @Test func aDownloadCutOffIsRetriedAndTheFileRemoved() async throws {
        let server = try CannedHTTPServer(
            response: "HTTP/1.1 200 OK\r\nContent-Length: 50\r\nContent-Type: application/octet-stream\r\n\r\n0123456789",
            headResponse: "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n")
        defer { server.stop() }
        let scratch = try ScratchDirectory()
        let lines = LineCollector()
        let retrier = Retrier(policy: RetryPolicy(attempts: 2, strategy: .constant(.zero), jitter: .zero), clock: NoWaitClock()) { lines.add($0) }
        await #expect(throws: S3Error.self) {
            try await client(server).download("p/blob", to: scratch.path + "/blob", retrier: retrier)
        }
        #expect(lines.all.count == 1)
        #expect(lines.all.first?.contains("download p/blob") == true)
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/blob"))
    }

    @Test func anHTMLPageWhereXMLWasExpectedIsRetryableEvenAsA4xx() async throws {
        let html = "<!DOCTYPE html><html><body>Proxy says no</body></html>"
        let server = try CannedHTTPServer(response: "HTTP/1.1 403 Forbidden\r\nContent-Length: \(html.utf8.count)\r\nContent-Type: text/html\r\n\r\n\(html)")
        defer { server.stop() }
        await #expect {
            _ = try await client(server).list(prefix: "p/")
        } throws: { error in
            (error as? S3Error)?.isRetryable == true && "\(error)".contains("text/html")
        }
    }

    @Test(arguments: [
        (429, "SlowDown", true), (500, "InternalError", true), (503, "SlowDown", true), (400, "RequestTimeout", true),
        (409, "ConditionalRequestConflict", true), (400, "InvalidArgument", false), (403, "AccessDenied", false),
        (404, "NoSuchKey", false), (412, "PreconditionFailed", false),
    ])
    func statusesAreRetriedByTheSharedRule(_ status: Int, _ code: String, _ retryable: Bool) {
        let error = S3Error(operation: "GET object", bucket: "b", key: "k", reason: .status(status, code: code, message: nil))
        #expect(error.isRetryable == retryable)
        #expect(Retrier.isRetryable(error) == retryable)
        #expect(error.description.contains("\(status)") && error.description.contains(code) && error.description.contains("s3://b/k"))
    }
}

final class LineCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func add(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}

/// A socket that answers every request with the same raw bytes and closes the connection.
final class CannedHTTPServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32

    init(response: String, headResponse: String? = nil) throws {
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listener = self.listener
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(listener, pointer, length) == 0 && getsockname(listener, pointer, &length) == 0 && listen(listener, 16) == 0
            }
        }
        guard ok else { throw FixtureError("could not listen") }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread {
            while true {
                let connection = accept(listener, nil, nil)
                if connection < 0 { return }
                var request: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 4096)
                while !request.suffix(4).elementsEqual([13, 10, 13, 10]) {
                    let got = read(connection, &buffer, buffer.count)
                    if got <= 0 { break }
                    request += buffer[0 ..< got]
                }
                let answer = request.starts(with: Array("HEAD".utf8)) ? (headResponse ?? response) : response
                _ = Array(answer.utf8).withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
                close(connection)
            }
        }
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }
}
