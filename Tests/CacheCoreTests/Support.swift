import CacheRetry
import Foundation
import Synchronization
@testable import CacheCore

/// A scratch directory per test, removed when the test's value goes away.
final class Scratch: @unchecked Sendable {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.path + "/swift-cache-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        // Restored trees may hold read-only directories.
        _ = try? Process.run(URL(fileURLWithPath: "/bin/chmod"), arguments: ["-R", "u+w", path]).waitUntilExit()
        try? FileManager.default.removeItem(atPath: path)
    }

    @discardableResult
    func write(_ relative: String, _ text: String, mode: Int = 0o644) throws -> String {
        let full = path + "/" + relative
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: full))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: full)
        return full
    }

    func read(_ relative: String) -> String? {
        FileManager.default.contents(atPath: path + "/" + relative).map { String(decoding: $0, as: UTF8.self) }
    }

    func exists(_ relative: String) -> Bool {
        FileManager.default.fileExists(atPath: path + "/" + relative)
    }
}

/// A clock that never waits: it records what it was asked to wait, so retry tests run instantly.
final class RecordingClock: RetryClock, @unchecked Sendable {
    private let waits = Mutex<[Duration]>([])
    func sleep(for duration: Duration) async throws {
        try Task.checkCancellation()
        waits.withLock { $0.append(duration) }
    }
    var recorded: [Duration] { waits.withLock { $0 } }
}

/// A clock whose wait ends when the test says so (`fire`), so a timeout fires exactly then.
final class GateClock: RetryClock {
    private let gate = AsyncStream<Void>.makeStream()

    func sleep(for duration: Duration) async throws {
        for await _ in gate.stream { return }
        try Task.checkCancellation()
    }

    func fire() { gate.continuation.yield() }
}

struct ZeroRandom: RetryRandomSource {
    func nextUnit() -> Double { 0 }
}

/// Collects the log instead of printing it.
final class CapturedLog: @unchecked Sendable {
    private let lines = Mutex<[String]>([])
    lazy var log = BuildkiteLog(redactor: SecretRedactor(environment: [:])) { [weak self] text in
        self?.lines.withLock { $0.append(text) }
    }
    var text: String { lines.withLock { $0.joined() } }
    /// Every line marked as a problem: the warnings, and the result lines of caches that failed.
    var warnings: [String] { text.split(separator: "\n").map(String.init).filter { $0.hasPrefix("⚠️  ") } }
}

/// A job environment as the agent would give it for a checkout and a home in `scratch`.
func jobEnvironment(_ scratch: Scratch, configuration: String? = nil, extra: [String: String] = [:]) -> JobEnvironment {
    var variables = [
        "BUILDKITE_BUILD_CHECKOUT_PATH": scratch.path + "/checkout",
        "HOME": scratch.path + "/home",
        "BUILDKITE_ORGANIZATION_SLUG": "acme",
        "BUILDKITE_PIPELINE_SLUG": "web",
        "BUILDKITE_BRANCH": "feature",
        "BUILDKITE_PIPELINE_DEFAULT_BRANCH": "main",
        "BUILDKITE_JOB_ID": "job-1",
        "BUILDKITE_CACHE_STORE_URL": "file://" + scratch.path + "/store",
    ]
    if let configuration { variables["BUILDKITE_PLUGIN_CONFIGURATION"] = configuration }
    variables.merge(extra) { _, new in new }
    return JobEnvironment(variables)
}

extension Retrier {
    /// One attempt, no waits: for tests of a store's own behaviour.
    static let immediate = Retrier(policy: RetryPolicy(attempts: 1, strategy: .constant(.zero), jitter: .zero),
                                   clock: RecordingClock(), random: ZeroRandom()) { _ in }
}
