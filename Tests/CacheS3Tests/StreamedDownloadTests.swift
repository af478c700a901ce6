import AsyncHTTPClient
import CacheRetry
import Foundation
import NIOCore
import Synchronization
import TestSupport
import Testing
@testable import CacheS3

/// `StreamedDownload` against moto_server: the bytes in order, memory held back to its limit
/// while the reader is slow, and a reader that is never left blocked. Ranges of 64 KiB (set past
/// the public initializer) make many ranges of a small object.
@Suite("Streamed download against moto_server", .motoServer)
struct StreamedDownloadTests {
    var server: MotoServer { get throws { try #require(MotoServer.current) } }

    /// The most one received piece can count for: the buffer of one read of the connection, or of
    /// a read joined to the end of the one before (when a response's head was cut between them).
    static let largestPiece = 2 * S3HTTPClient.largestRead

    /// Puts `size` pseudo-random bytes under `name` and opens them for a streamed read.
    func stored(_ name: String, size: Int, heldLimit: Int = StreamedDownload.maximumHeldBytes)
        async throws -> (download: StreamedDownload, bytes: [UInt8]) {
        var transfer = S3TransferOptions()
        transfer.downloadRangeSize = 64 * 1024
        let client = try await server.client(transfer: transfer)
        let scratch = try ScratchDirectory()
        let (_, bytes) = try scratch.file(name, size: size, seed: UInt64(size))
        let key = client.location.key("blobs/\(name)")
        _ = try await client.put(key, bytes: bytes, contentType: "application/octet-stream")
        let info = try #require(try await client.head(key))
        return (StreamedDownload(client: client, key: key, size: info.size, retrier: .immediate(), heldLimit: heldLimit), bytes)
    }

    /// Reads the whole download on a thread of its own, `chunk` bytes at a time (reads may block).
    func readAll(_ download: StreamedDownload, chunk: Int) async throws -> [UInt8] {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result {
                    var bytes: [UInt8] = []
                    var buffer = [UInt8](repeating: 0, count: chunk)
                    while true {
                        let got = try buffer.withUnsafeMutableBytes { try download.read(into: $0) }
                        if got == 0 { break }
                        bytes += buffer[..<got]
                    }
                    return bytes
                })
            }
        }
    }

    /// Reads the first `firstRead` bytes, then lends the rest on a thread of its own, as a
    /// restore's reading thread does; keeps the last `outstanding` loans before giving each back.
    func lendAll(_ download: StreamedDownload, firstRead: Int, outstanding: Int) async throws -> [UInt8] {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result {
                    var bytes = [UInt8](repeating: 0, count: firstRead)
                    let got = try bytes.withUnsafeMutableBytes { try download.read(into: $0) }
                    bytes.removeLast(firstRead - got)
                    var loans: [@Sendable () -> Void] = []
                    while let lent = try download.lend() {
                        bytes += lent.bytes
                        loans.append(lent.giveBack)
                        if loans.count > outstanding { loans.removeFirst()() }
                    }
                    loans.forEach { $0() }
                    return bytes
                })
            }
        }
    }

    /// Lent pieces take up where a read stopped and come out whole and in order; a loan counts as
    /// held until it is given back (so the limit bounds the pieces a restore still works on), and
    /// when all are back nothing is counted any more.
    @Test func lentPiecesComeOutWholeAndCountAsHeldUntilGivenBack() async throws {
        let (download, bytes) = try await stored("lent", size: 10 * 64 * 1024 + 1000, heldLimit: 200_000)
        async let fetched: Void = download.run()
        let lent = try await lendAll(download, firstRead: 10, outstanding: 2)
        try await fetched
        #expect(lent == bytes)
        #expect(download.heldNow == 0)
        #expect(download.mostHeld <= 200_000 + Self.largestPiece, "held at most \(download.mostHeld) bytes")
    }

    /// A loan given back after `stop` (the restore's threads finish with a piece after the
    /// download was stopped) changes nothing.
    @Test func aLoanGivenBackAfterStopChangesNothing() async throws {
        let (download, _) = try await stored("lent-stopped", size: 5 * 64 * 1024, heldLimit: 1000)
        let fetching = Task { try await download.run() }
        let lent = try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try download.lend() }) }
        }
        let loan = try #require(lent)
        #expect(download.heldNow > 0)
        download.stop()
        loan.giveBack()
        #expect(download.heldNow == 0)
        await #expect(throws: CancellationError.self) { try await fetching.value }
    }

    /// A reader slower than the download (small reads) with a limit of 100 kB: the download waits
    /// for it instead of holding the object, and the bytes still come out whole and in order.
    @Test func theBytesComeOutWholeAndInOrderWithAtMostTheLimitHeld() async throws {
        let (download, bytes) = try await stored("ranges", size: 10 * 64 * 1024 + 1000, heldLimit: 100_000)
        #expect(download.rangeCount == 11)
        async let fetched: Void = download.run()
        let read = try await readAll(download, chunk: 10_000)
        try await fetched
        #expect(read == bytes)
        // One piece of a response (one read of the connection) may go over the limit before the
        // download waits.
        #expect(download.mostHeld <= 100_000 + Self.largestPiece, "held at most \(download.mostHeld) bytes")
        #expect(download.failure == nil)
    }

    @Test func anObjectOfOneRangeAndAnEmptyOneComeOutWhole() async throws {
        for size in [0, 1, 64 * 1024] {
            let (download, bytes) = try await stored("small-\(size)", size: size)
            #expect(download.rangeCount == (size == 0 ? 0 : 1))
            async let fetched: Void = download.run()
            let read = try await readAll(download, chunk: 1 << 20)
            try await fetched
            #expect(read == bytes, "\(size) bytes")
        }
    }

    /// By default the object is one GET, however large: no range is asked for unless a GET is
    /// cut off and resumed.
    @Test func byDefaultTheObjectIsOneGET() async throws {
        #expect(S3TransferOptions().downloadRangeSize == nil)
        let client = try await server.client(transfer: S3TransferOptions())
        let scratch = try ScratchDirectory()
        let (_, bytes) = try scratch.file("whole", size: 3 << 20, seed: 5)
        let key = client.location.key("blobs/whole")
        _ = try await client.put(key, bytes: bytes, contentType: "application/octet-stream")
        let info = try #require(try await client.head(key))
        let download = StreamedDownload(client: client, key: key, size: info.size, retrier: .immediate(), heldLimit: 256 * 1024)
        #expect(download.rangeCount == 1)
        async let fetched: Void = download.run()
        let read = try await readAll(download, chunk: 100_000)
        try await fetched
        #expect(read == bytes)
        #expect(download.mostHeld <= 256 * 1024 + Self.largestPiece, "held at most \(download.mostHeld) bytes")
    }

    /// Every connection of the client reads up to `S3HTTPClient.largestRead` bytes at once, not
    /// NIO's 64 KiB, once per wake-up: the configuration's connection initializer sets both on a
    /// real connection.
    @Test func connectionsReadUpToTheLargestRead() async throws {
        var configuration = S3HTTPClient.makeConfiguration()
        let setUp = try #require(configuration.http1_1ConnectionDebugInitializer)
        let options = Mutex<(largestRead: Int?, readsPerWakeUp: UInt)?>(nil)
        configuration.http1_1ConnectionDebugInitializer = { channel in
            setUp(channel)
                .flatMap { channel.getOption(ChannelOptions.recvAllocator) }
                .and(channel.getOption(ChannelOptions.maxMessagesPerRead))
                .map { allocator, reads in
                    options.withLock { $0 = ((allocator as? AdaptiveRecvByteBufferAllocator)?.maximum, reads) }
                }
        }
        let url = try server.endpoint + "/"
        try await withHTTPClient(configuration) { http in
            let response = try await http.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
            _ = try await response.body.collect(upTo: 1 << 20)
        }
        let set = try #require(options.withLock { $0 })
        #expect(set.largestRead == S3HTTPClient.largestRead)
        #expect(set.readsPerWakeUp == S3HTTPClient.readsPerWakeUp)
    }

    /// A reader waiting for bytes that do not come (here: the download was never started) is
    /// released by `stop`, with a cancellation, not left blocked; a download waiting for the
    /// reader to make room ends too, without recording a failure of its own.
    @Test func stopReleasesABlockedReaderAndAWaitingDownload() async throws {
        let (idle, _) = try await stored("never", size: 100_000)
        let reading = Task { try await readAll(idle, chunk: 1000) }
        idle.stop()
        await #expect(throws: CancellationError.self) { _ = try await reading.value }

        let (waiting, _) = try await stored("unread", size: 5 * 64 * 1024, heldLimit: 1000)
        let fetching = Task { try await waiting.run() }
        // Nobody reads: the download fills its limit and waits; `stop` lets it end.
        var buffer = [UInt8](repeating: 0, count: 1)
        _ = try buffer.withUnsafeMutableBytes { try waiting.read(into: $0) }
        waiting.stop()
        await #expect(throws: CancellationError.self) { try await fetching.value }
        #expect(waiting.failure == nil)
    }
}
