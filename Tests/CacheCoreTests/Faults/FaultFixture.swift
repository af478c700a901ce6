import AsyncHTTPClient
import CacheRetry
import Foundation
import Synchronization
import TestSupport
import Testing
@testable import CacheCore
@testable import CacheS3

/// Every fault test, under one suite so that they share one moto_server (started by the
/// `.motoServer` trait of TestSupport). Each test makes its own bucket and its own proxy, so
/// the tests run in parallel without seeing each other's requests.
@Suite("Per-call retries through a fault-injecting proxy", .motoServer)
struct FaultInjection {}

/// The waits each policy asks for, written out as DESIGN.md states them, with zero jitter.
enum PolicyWaits {
    static let restoreSchedule: [Duration] = [500, 737, 1087, 1603].map { .milliseconds($0) }

    /// The restore policy's waits after `failures` failures of one call.
    static func restore(_ failures: Int) -> [Duration] { Array(restoreSchedule.prefix(failures)) }

    /// The save policy's waits after `failures` failures of one call: 5 s each time.
    static func save(_ failures: Int) -> [Duration] { Array(repeating: .seconds(5), count: failures) }
}

/// The retry lines a retrier logged.
final class RetryLines: Sendable {
    private let lines = Mutex<[String]>([])
    func add(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

/// A retrier with one of the binaries' policies, the recording clock (it never sleeps) and zero
/// jitter, as `RestoreJob` and `SaveJob` build theirs.
struct RecordedRetrier {
    let clock = RecordingClock()
    let lines = RetryLines()
    let retrier: Retrier

    init(_ policy: RetryPolicy) {
        let lines = self.lines
        retrier = Retrier(policy: policy, clock: clock, random: ZeroRandom()) { lines.add($0) }
    }

    var waits: [Duration] { clock.recorded }
}

/// A fresh bucket on the suite's moto_server, and stores on it: straight to moto (to put things
/// in place and look at them) or through a fault proxy (the code under test).
struct FaultBucket {
    let moto: MotoServer
    let name: String
    static let prefix = "cache"
    static let credentials = S3Credentials(accessKeyID: "AKIDFAULTTEST", secretAccessKey: "fault/secret/key", source: "the fault tests")
    static let scope = StoreScope(organization: "acme", pipeline: "web", branch: "feature")

    static func make() async throws -> FaultBucket {
        let moto = try #require(MotoServer.current, "the fault tests run under the .motoServer trait")
        let bucket = FaultBucket(moto: moto, name: "fault-" + UUID().uuidString.lowercased())
        let client = try bucket.client(endpoint: moto.endpoint)
        let response = try await client.send(S3Request(method: "PUT", key: nil), operation: "CreateBucket", key: nil)
        try await client.check(response, operation: "CreateBucket", key: nil, action: "s3:CreateBucket")
        return bucket
    }

    /// The store URL a job is given to reach this bucket through `endpoint`.
    func url(endpoint: String) -> String {
        "s3://\(name)/\(Self.prefix)?endpoint=\(endpoint)&use_path_style=true"
    }

    func client(endpoint: String, transfer: S3TransferOptions? = nil, http: HTTPClient = S3HTTPClient.shared) throws -> S3Client {
        S3Client(location: try S3Location(url: url(endpoint: endpoint)), credentials: Self.credentials, transfer: transfer, http: http)
    }

    /// Straight to moto: no faults, and not recorded by any proxy.
    func direct(transfer: S3TransferOptions? = nil) throws -> S3Store {
        S3Store(client: try client(endpoint: moto.endpoint, transfer: transfer), temporaryDirectory: NSTemporaryDirectory())
    }

    func store(through proxy: FaultProxy, transfer: S3TransferOptions? = nil, http: HTTPClient = S3HTTPClient.shared) throws -> S3Store {
        S3Store(client: try client(endpoint: proxy.endpoint, transfer: transfer, http: http), temporaryDirectory: NSTemporaryDirectory())
    }

    func withProxy<T: Sendable>(_ rules: [FaultRule], _ body: (FaultProxy) async throws -> T) async throws -> T {
        try await withFaultProxy(upstream: moto.endpoint, rules: rules, body)
    }
}

/// Bytes that do not repeat, so a part landed at the wrong offset, or twice, changes the result.
/// Word by word into one buffer: debug builds make an element-wise `map` of megabytes slow.
func noise(_ count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
    var state = seed
    var words = [UInt64](repeating: 0, count: (count + 7) / 8)
    words.withUnsafeMutableBufferPointer { buffer in
        for index in buffer.indices {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            buffer[index] = state ^ (state >> 29)
        }
    }
    return words.withUnsafeBytes { Array($0.prefix(count)) }
}

/// `counts` with every call that is not listed expected at zero, so a test states the whole
/// traffic of a run and an extra call of any kind fails it.
func expectTraffic(_ proxy: FaultProxy, _ expected: [S3Call: Int], _ comment: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    let seen = proxy.counts
    for call in S3Call.allCases where (seen[call] ?? 0) != (expected[call] ?? 0) {
        let log = proxy.requests.map(\.description).joined(separator: "; ")
        let message = "\(comment) \(call): \(seen[call] ?? 0) requests, expected \(expected[call] ?? 0); the proxy saw: \(log)"
        Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
    }
}
