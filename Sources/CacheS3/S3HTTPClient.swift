import AsyncHTTPClient
import NIOCore
import Synchronization

/// The one HTTP client of the process, shared by every S3 store, so all caches of a job reuse the
/// same connection pool (and TLS sessions) instead of each opening their own.
///
/// It is made on first use. Call `shutdown()` once, when the binary is done with every store;
/// a process that exits without it loses nothing (the client holds no unsent data), the call only
/// makes the end orderly (connections closed, event loop threads stopped).
public enum S3HTTPClient {
    private static let state = Mutex<HTTPClient?>(nil)

    /// No byte for this long from a server that accepted the request: a hung store.
    public static let idleTimeout: TimeAmount = .seconds(10)

    /// Timeouts that tell a dead connection from a slow transfer: connecting may take 10 s, and an
    /// answer may go `idleTimeout` without a byte before it counts as broken (a retryable failure,
    /// not a minute of a job's time; S3 itself keeps a slow CompleteMultipartUpload alive with
    /// whitespace). There is no deadline per request: a 2 GB blob on a slow link is not an error;
    /// the jobs' `restore-timeout` and `save-timeout` bound the total.
    static func makeConfiguration() -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(10), read: idleTimeout, write: .seconds(30))
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.connectionPool = .init(idleTimeout: .seconds(30))
        // A refused connection fails at once and goes to our retrier, which logs it and waits by
        // the job's policy, instead of being retried silently inside the pool until the timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.http1_1ConnectionDebugInitializer = readUpToLargestRead
        configuration.http2ConnectionDebugInitializer = readUpToLargestRead
        return configuration
    }

    /// The most bytes one read from a connection takes; and the event loop reads once per wake-up
    /// (`readsPerWakeUp`), so that is also the most it takes in one go.
    ///
    /// NIO stops at 64 KiB, and every read costs the event loop about the same whatever its size: a
    /// syscall, the HTTP parser, and a hand-over to the thread that reads the body (a restore hashes
    /// and decodes each piece where it lies). A 511 MB restore from a loopback nginx (2 cores, 4
    /// alternating runs each) took 0.91 s of client CPU with 64 KiB reads and 0.76 s with these.
    ///
    /// Larger reads saved more over plain HTTP (1 MiB, four per wake-up: 0.66 s), but not over
    /// TLS, where NIOSSL decrypts all the reads of one wake-up into one buffer that grows by
    /// doubling: that restore then peaked at 85 MiB, against the 64 MiB the restore promises.
    /// With these reads it peaked at 48 MiB over TLS (45 MiB with 64 KiB reads) and 43 MiB over
    /// plain HTTP (39 MiB).
    public static let largestRead = 512 * 1024

    /// Reads per wake-up of the event loop (NIO's default is 4): see `largestRead`.
    public static let readsPerWakeUp: UInt = 1

    /// Lets a connection's reads grow to `largestRead` while they fill their buffers (and shrink
    /// again when they do not: NIO's adaptive sizing, which halves a buffer read less than half full
    /// twice in a row), so a fast download is read in few large pieces and a slow one holds no
    /// large, mostly empty buffers; one read per wake-up.
    private static let readUpToLargestRead: @Sendable (any Channel) -> EventLoopFuture<Void> = { channel in
        channel.setOption(ChannelOptions.recvAllocator,
                          value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 64 * 1024, maximum: largestRead))
            .flatMap { channel.setOption(ChannelOptions.maxMessagesPerRead, value: readsPerWakeUp) }
    }

    /// The shared client.
    public static var shared: HTTPClient {
        state.withLock { current in
            if let client = current { return client }
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: makeConfiguration())
            current = client
            return client
        }
    }

    /// True for a failure of the HTTP layer that no retry can fix (a bad URL, a client already
    /// shut down); everything else the network throws at us passes with time.
    public static func isConfigurationFailure(_ error: any Error) -> Bool {
        let final: [HTTPClientError] = [.invalidURL, .emptyHost, .emptyScheme, .alreadyShutdown, .cancelled,
                                        .invalidRedirectConfiguration, .invalidProxyConfiguration]
        guard let error = error as? HTTPClientError else { return false }
        return final.contains(error)
    }

    /// Closes the shared client's connections; a later `shared` makes a new client.
    public static func shutdown() async throws {
        let client: HTTPClient? = state.withLock { current in
            defer { current = nil }
            return current
        }
        try await client?.shutdown()
    }
}
