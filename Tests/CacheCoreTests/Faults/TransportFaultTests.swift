import AsyncHTTPClient
import CacheRetry
import Foundation
import Synchronization
import TestSupport
import Testing
@testable import CacheCore
@testable import CacheS3

/// Failures below HTTP, one call each, wrapped in the binary's retrier the way `Restorer` and
/// `Saver` wrap their calls: an answer that never comes (the client's own read timeout, shortened
/// for the silent attempt only), a refused connection, a TLS handshake with something that does
/// not speak TLS, and a name that does not resolve. No test waits on a timer that a slow answer
/// could beat or miss: the retry waits go to a recording clock, and the only timeout that fires
/// is one whose server never answers.
extension FaultInjection {
    @Suite("Transport faults of single calls, through S3Store")
    struct TransportCalls {
        let scope = FaultBucket.scope

        /// Runs `body` with the binaries' HTTP client settings, but giving up on a silent server
        /// after 200 ms instead of a minute; the client is shut down however `body` ends (a client
        /// that is not is a fatal error when it goes away).
        ///
        /// Only for an attempt that gets no answer at all, which times out the same on a busy host:
        /// an attempt that expects an answer uses the binaries' own client, since even an answer
        /// from the proxy itself has been seen to take over a second while the whole package's
        /// tests run at once on two cores.
        func withImpatientClient<T: Sendable>(_ body: (HTTPClient) async throws -> T) async throws -> T {
            var configuration = S3HTTPClient.makeConfiguration()
            configuration.timeout.read = .milliseconds(200)
            return try await withHTTPClient(configuration, body)
        }

        /// The silent attempt, then an answer from the proxy itself: S3's 404 for a key that is
        /// not there. Not from moto, which is busiest while these tests run: one answer less
        /// that could be late.
        static let silenceThenNoSuchKey = [FaultRule(.getEntry, .silence, times: 1),
                                           FaultRule(.getEntry, .status(404, code: "NoSuchKey"), times: 1, skipping: 1)]

        /// Restore's exact lookup and save's existence check are the same GET, each under its policy.
        @Test("a lookup that gets no answer is retried after the read timeout, under each policy",
              arguments: [(RetryPolicy.restore, PolicyWaits.restore(1)), (RetryPolicy.save, PolicyWaits.save(1))])
        func silentLookup(_ policy: RetryPolicy, _ waits: [Duration]) async throws {
            let bucket = try await FaultBucket.make()
            let recorded = RecordedRetrier(policy)
            let scope = self.scope
            let attempts = Mutex(0)
            let found = try await withImpatientClient { http in
                try await bucket.withProxy(Self.silenceThenNoSuchKey) { proxy in
                    // The first, silent attempt on the impatient client; the retry on the binaries' own.
                    let silent = try bucket.store(through: proxy, http: http)
                    let answered = try bucket.store(through: proxy)
                    let found = try await recorded.retrier.run("look up 'deps-v1'") {
                        let store = attempts.withLock { count in
                            count += 1
                            return count
                        } == 1 ? silent : answered
                        return try await store.entry(key: "deps-v1", scope: scope)
                    }
                    expectTraffic(proxy, [.getEntry: 2])
                    return found
                }
            }
            #expect(found == nil, "the second attempt's answer: no entry")
            #expect(recorded.waits == waits)
            #expect(recorded.lines.all.count == 1 && recorded.lines.all[0].contains(Fault.silence.evidence), "\(recorded.lines.all)")
        }

        /// A store at `endpoint`, whatever is (or is not) there.
        func store(endpoint: String) throws -> S3Store {
            let location = try S3Location(url: "s3://fault-bucket/cache?endpoint=\(endpoint)&use_path_style=true")
            return S3Store(client: S3Client(location: location, credentials: FaultBucket.credentials), temporaryDirectory: NSTemporaryDirectory())
        }

        /// Both binaries' policies, with the waits each asks for when a call never gets through.
        static let policies: [(RetryPolicy, [Duration])] = [(.restore, PolicyWaits.restore(4)), (.save, PolicyWaits.save(9))]

        /// Runs the lookup under `policy`, which must spend every attempt and then throw a retryable
        /// error whose text says `because`.
        func expectGivingUp(_ store: S3Store, _ policy: RetryPolicy, _ waits: [Duration], because: String) async throws {
            let recorded = RecordedRetrier(policy)
            let scope = self.scope
            await #expect {
                _ = try await recorded.retrier.run("look up 'deps-v1'") { try await store.entry(key: "deps-v1", scope: scope) }
            } throws: { error in
                Retrier.isRetryable(error) && "\(error)".contains(because)
            }
            #expect(recorded.waits == waits, "one wait between each two of the policy's attempts")
            #expect(recorded.lines.all.count == policy.attempts - 1 && recorded.lines.all.allSatisfy { $0.contains(because) },
                    "\(recorded.lines.all)")
        }

        /// The port is held by a socket that is bound but does not listen: every connection to it
        /// is refused, and no other test can start a server on it meanwhile.
        @Test("a refused connection is retried until the policy gives up", arguments: policies)
        func refusedConnection(_ policy: RetryPolicy, _ waits: [Duration]) async throws {
            let socket = try ClosedPort()
            defer { socket.release() }
            try await expectGivingUp(try store(endpoint: "http://127.0.0.1:\(socket.port)"), policy, waits, because: "refused")
        }

        @Test("a failed TLS handshake is retried until the policy gives up, one connection per attempt", arguments: policies)
        func failedHandshake(_ policy: RetryPolicy, _ waits: [Duration]) async throws {
            let bucket = try await FaultBucket.make()
            try await bucket.withProxy([]) { proxy in
                // The proxy speaks plain HTTP: the client's TLS hello gets an HTTP 400 back.
                try await expectGivingUp(try store(endpoint: "https://127.0.0.1:\(proxy.port)"), policy, waits, because: "handshakeFailed")
                #expect(proxy.connections == policy.attempts)
                #expect(proxy.requests.isEmpty, "no request got past the handshake")
            }
        }

        /// `.invalid` never resolves (RFC 6761), so a resolver answers at once without asking the
        /// network. Only under the restore policy: a host whose resolver is unreachable would make
        /// each attempt wait for it, and five such waits are enough.
        @Test("a name that does not resolve is retried until the restore policy gives up")
        func unresolvableName() async throws {
            try await expectGivingUp(try store(endpoint: "http://swift-cache-fault-test.invalid:9000"), .restore, PolicyWaits.restore(4),
                                     because: "UnknownHost")
        }
    }
}

/// A loopback port that refuses connections for as long as this holds it.
struct ClosedPort {
    let descriptor: Int32
    let port: Int

    init() throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let descriptor = self.descriptor
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
        }
        guard descriptor >= 0, bound else {
            if descriptor >= 0 { close(descriptor) }
            throw FaultProxyError("could not bind a loopback socket to hold a closed port: errno \(errno)")
        }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func release() { close(descriptor) }
}
