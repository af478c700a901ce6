import CacheRetry
import Foundation
import Testing
@testable import CacheCore

/// The cache API client against the fake registry: every endpoint's passing faults are retried
/// under the policy the flow gives it, final answers end at once with a clear message, and the
/// agent access token never appears in what a person reads.
@Suite struct RegistryClientTests {
    static let address = RegistryAddress(targetPaths: ["node_modules", "~/.npm"],
                                         cacheKey: [CacheKeyPart(value: "npm", mandatory: true), CacheKeyPart(value: "abc", mandatory: false)])
    static let lookup = RegistryLookup(targetPaths: address.targetPaths, cacheKey: address.cacheKey, scopes: [:])
    static let create = RegistryCreate(
        targetPaths: address.targetPaths, cacheKey: address.cacheKey,
        blobs: [CacheBlob(digest: CacheDigest(algorithm: "sha256", value: String(repeating: "ab", count: 32)), fileSize: 10, compression: "zip")],
        platform: "linux/amd64", scopes: [:])

    /// One call of `endpoint` as the flows make it, retried on its own by `retrier`.
    static func call(_ endpoint: String, _ client: RegistryClient, _ retrier: Retrier) async throws {
        switch endpoint {
        case "registry": _ = try await retrier.run("registry") { try await client.registryInfo() }
        case "peek": _ = try await retrier.run("peek") { try await client.peek(lookup) }
        case "retrieve": _ = try await retrier.run("retrieve") { try await client.retrieve(lookup) }
        case "store": _ = try await retrier.run("create") { try await client.create(create) }
        case "commit":
            let uploadID = try await client.create(create).uploadID
            try await retrier.run("commit") { try await client.commit(uploadID: uploadID) }
        case "expire": try await retrier.run("expire") { try await client.expire(address) }
        default: Issue.record("unknown endpoint \(endpoint)")
        }
    }

    static let endpoints = ["registry", "peek", "retrieve", "store", "commit", "expire"]
    static let passingFaults = ["503", "429", "reset", "cut", "html", "garbage"]

    @Test("a passing fault of any endpoint is retried, under either policy", arguments: endpoints, passingFaults)
    func passingFaultIsRetried(endpoint: String, fault: String) async throws {
        try await withFakeRegistry { server in
            for policy in [RetryPolicy.restore, .save] {
                try await server.fail(endpoint, with: [fault, fault])
                let clock = RecordingClock()
                let lines = LineLog()
                let retrier = Retrier(policy: policy, clock: clock, random: ZeroRandom()) { lines.append($0) }
                try await Self.call(endpoint, server.client(), retrier)
                #expect(clock.recorded == [policy.wait(afterFailures: 0, unit: 0), policy.wait(afterFailures: 1, unit: 0)])
                #expect(lines.all.count == 2)
                #expect(!lines.all.joined().contains(FakeRegistry.token))
            }
            let calls = try await server.requests().filter { $0.endpoint == endpoint }
            #expect(calls.filter { $0.fault == fault }.count == 4)
            #expect(calls.allSatisfy { $0.authorized && $0.user_agent?.hasPrefix("swift-cache/") == true && $0.timeout == "60000" })
        }
    }

    @Test("a fault that outlasts the restore policy gives up after its five attempts")
    func restorePolicyGivesUp() async throws {
        try await withFakeRegistry { server in
            try await server.fail("retrieve", with: Array(repeating: "503", count: 6))
            let retrier = Retrier(policy: .restore, clock: RecordingClock(), random: ZeroRandom()) { _ in }
            await #expect(throws: RegistryError.self) { try await Self.call("retrieve", server.client(), retrier) }
            #expect(try await server.requests().filter { $0.endpoint == "retrieve" }.count == 5)
        }
    }

    @Test("400 and 401 are final at once, with the server's message and what to do", arguments: endpoints, ["400", "401"])
    func finalStatus(endpoint: String, fault: String) async throws {
        try await withFakeRegistry { server in
            try await server.fail(endpoint, with: [fault])
            let lines = LineLog()
            let retrier = Retrier(policy: .save, clock: RecordingClock(), random: ZeroRandom()) { lines.append($0) }
            do {
                try await Self.call(endpoint, server.client(), retrier)
                Issue.record("\(endpoint) with \(fault) succeeded")
            } catch let error as RegistryError {
                #expect(!error.isRetryable)
                #expect(error.description.contains("HTTP \(fault)"))
                #expect(error.description.contains(fault == "401" ? "access token was refused" : "Bad Request"))
                #expect(!error.description.contains(FakeRegistry.token))
            }
            #expect(lines.all.isEmpty)
            #expect(try await server.requests().filter { $0.endpoint == endpoint && $0.fault == fault }.count == 1)
        }
    }

    @Test("a wrong token is refused without a retry, and the message does not echo it")
    func wrongToken() async throws {
        try await withFakeRegistry { server in
            let client = server.client(token: "wrong-token-value-987")
            await #expect {
                try await client.registryInfo()
            } throws: { error in
                let text = "\(error)"
                return (error as? RegistryError)?.isRetryable == false && text.contains("401") && !text.contains("wrong-token-value-987")
            }
        }
    }

    @Test("the agent's token is redacted from the log whatever its length")
    func tokenIsAlwaysRedacted() {
        let redactor = SecretRedactor(environment: ["BUILDKITE_AGENT_ACCESS_TOKEN": "k3y", "OTHER": "k3y"])
        #expect(redactor.redact("Authorization: Token k3y") == "Authorization: Token [REDACTED]")
    }

    @Test("peek and retrieve of an absent entry are a miss; an unknown registry is an error naming the fix")
    func missAndUnknownRegistry() async throws {
        try await withFakeRegistry { server in
            let peeked = try await server.client().peek(Self.lookup)
            let retrieved = try await server.client().retrieve(Self.lookup)
            #expect(peeked == nil && retrieved == nil)
            await #expect {
                _ = try await server.client(registry: "nope").retrieve(Self.lookup)
            } throws: { error in
                "\(error)".contains("Cache registry not found") && "\(error)".contains("buildkite://NAME")
                    && (error as? RegistryError)?.isRetryable == false
            }
        }
    }

    @Test("create, commit, then peek finds the entry; retrieve falls back on the mandatory parts; expire removes it")
    func lifecycle() async throws {
        try await withFakeRegistry { server in
            let client = server.client()
            let created = try await client.create(Self.create)
            try await client.commit(uploadID: created.uploadID)
            let found = try await client.peek(Self.lookup)
            #expect(found?.blobs?.first?.digest.value == Self.create.blobs[0].digest.value)
            var other = Self.lookup
            other.cacheKey[1].value = "changed"
            let fallback = try #require(try await client.retrieve(other))
            #expect(fallback.fallback == true)
            #expect(fallback.cacheKey == Self.address.cacheKey)
            other.cacheKey[0].value = "yarn"
            let unrelated = try await client.retrieve(other)
            #expect(unrelated == nil)
            try await client.expire(Self.address)
            let expired = try await client.peek(Self.lookup)
            #expect(expired == nil)
        }
    }
}

/// Lines a retrier logged.
final class LineLog: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}
