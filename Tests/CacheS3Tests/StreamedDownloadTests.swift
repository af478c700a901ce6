import CacheRetry
import Foundation
import Testing
@testable import CacheS3

/// `StreamedDownload` against moto_server: the bytes in order, a bounded look-ahead, and a reader
/// that is never left blocked. Ranges of 64 KiB (set past the public initializer, which keeps
/// parts at 5 MiB or more) make many ranges of a small object.
@Suite("Streamed download against moto_server", .motoServer)
struct StreamedDownloadTests {
    var server: MotoServer { get throws { try #require(MotoServer.current) } }

    static func transfer(rangeSize: Int64, concurrency: Int) -> S3TransferOptions {
        var transfer = S3TransferOptions(multipartThreshold: 5 << 20, partSize: 5 << 20, concurrency: concurrency)
        transfer.partSize = rangeSize
        return transfer
    }

    /// Puts `size` pseudo-random bytes under `name` and opens them for a streamed read.
    func stored(_ name: String, size: Int, rangeSize: Int64 = 64 * 1024, concurrency: Int = 3)
        async throws -> (download: StreamedDownload, bytes: [UInt8]) {
        let client = try await server.client(transfer: Self.transfer(rangeSize: rangeSize, concurrency: concurrency))
        let scratch = try ScratchDirectory()
        let (_, bytes) = try scratch.file(name, size: size, seed: UInt64(size))
        let key = client.location.key("blobs/\(name)")
        _ = try await client.put(key, bytes: bytes, contentType: "application/octet-stream")
        return (try await client.streamedDownload(key, retrier: .immediate()), bytes)
    }

    /// Reads the whole download on a thread of its own, `chunk` bytes at a time (reads may block),
    /// checking after every read that no more than `window` ranges are held.
    func readAll(_ download: StreamedDownload, chunk: Int) async throws -> (bytes: [UInt8], mostHeld: Int) {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result {
                    var bytes: [UInt8] = []
                    var mostHeld = 0
                    var buffer = [UInt8](repeating: 0, count: chunk)
                    while true {
                        let got = try buffer.withUnsafeMutableBytes { try download.read(into: $0) }
                        mostHeld = Swift.max(mostHeld, download.rangesHeld)
                        if got == 0 { break }
                        bytes += buffer[..<got]
                    }
                    return (bytes, mostHeld)
                })
            }
        }
    }

    @Test func theBytesComeOutWholeAndInOrderWithAtMostTheWindowHeld() async throws {
        // Ten full ranges and a short last one.
        let (download, bytes) = try await stored("ranges", size: 10 * 64 * 1024 + 1000)
        #expect(download.rangeCount == 11)
        #expect(download.window == 3)
        async let fetched: Void = download.run()
        // Small reads: the reader is slower than the ranges, which must wait for it.
        let read = try await readAll(download, chunk: 10_000)
        try await fetched
        #expect(read.bytes == bytes)
        #expect(read.mostHeld <= 3, "at most the window of ranges is held at once")
        #expect(download.failure == nil)
    }

    @Test func anObjectOfOneRangeAndAnEmptyOneComeOutWhole() async throws {
        for size in [0, 1, 64 * 1024] {
            let (download, bytes) = try await stored("small-\(size)", size: size)
            #expect(download.rangeCount == (size == 0 ? 0 : 1))
            async let fetched: Void = download.run()
            let read = try await readAll(download, chunk: 1 << 20)
            try await fetched
            #expect(read.bytes == bytes, "\(size) bytes")
        }
    }

    /// Ranges are at most `maximumRangeSize` (a large `part_size_mb` is for uploads), and the
    /// window shrinks with the range size so that memory stays bounded: never more than
    /// `maximumHeldBytes` in ranges at once, and at least one range.
    @Test func theRangesAndTheWindowKeepHeldBytesBounded() async throws {
        let cases: [(partSize: Int64, concurrency: Int, rangeSize: Int64, window: Int)] = [
            (8 << 20, 8, 8 << 20, 3), (64 << 10, 8, 64 << 10, 8), (64 << 20, 4, 8 << 20, 3), (5 << 20, 2, 5 << 20, 2),
        ]
        for item in cases {
            let client = try await server.client(transfer: Self.transfer(rangeSize: item.partSize, concurrency: item.concurrency))
            let download = StreamedDownload(client: client, key: "k", size: 1 << 30, retrier: .immediate())
            #expect(download.rangeSize == item.rangeSize, "parts of \(item.partSize) bytes")
            #expect(download.window == item.window, "parts of \(item.partSize) bytes, \(item.concurrency) at once")
            #expect(Int64(download.window) * download.rangeSize <= StreamedDownload.maximumHeldBytes)
        }
    }

    /// A reader waiting for bytes that do not come (here: the download was never started) is
    /// released by `stop`, with a cancellation, not left blocked.
    @Test func stopReleasesABlockedReader() async throws {
        let (download, _) = try await stored("never", size: 100_000)
        let reading = Task { try await readAll(download, chunk: 1000) }
        download.stop()
        await #expect(throws: CancellationError.self) { _ = try await reading.value }
    }
}
