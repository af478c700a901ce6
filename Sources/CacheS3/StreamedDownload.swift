import CacheRetry
import Foundation
import NIOCore

/// An object read once, in order, by one thread (a restore's decompressing thread), while ranged
/// GETs fetch it a few ranges ahead: the reader gets the first bytes as soon as they arrive, and
/// download and extraction overlap instead of running one after the other.
///
/// Memory is bounded whatever the object's size: at most `window` ranges of at most `rangeSize`
/// bytes are held at once, because a range starts only when the reader has finished one of the
/// ranges before it. An object no bigger than one range is one plain GET.
///
/// Each range is one call, retried on its own by the retrier. A retry resumes at the first byte
/// the range has not received yet (a ranged GET of the rest): the bytes already received may
/// already be with the reader, which cannot give them back. A range that still fails fails the
/// whole download: `run` throws its error and the reader's next `read` throws it too.
///
/// Use: start `run` in a task, read with `read(into:)` on a thread that may block, and call
/// `stop` when the reader gives up early.
public final class StreamedDownload: @unchecked Sendable {
    /// The largest range; `transfer.partSize` is used when smaller.
    public static let maximumRangeSize: Int64 = 8 * 1024 * 1024
    /// The most bytes held for the reader at once (ranges started and not yet read);
    /// `transfer.concurrency` ranges at most.
    public static let maximumHeldBytes: Int64 = 24 * 1024 * 1024

    public let key: String
    public let size: Int64
    let rangeSize: Int64
    /// Ranges started and not yet read to their end, at most.
    let window: Int
    let rangeCount: Int
    private let client: S3Client
    private let retrier: Retrier

    /// Guards everything below it; the reader waits on it for the next bytes.
    private let condition = NSCondition()
    private var ranges: [RangeBuffer]
    /// The range the reader is in; `rangeCount` at the end.
    private var reading = 0
    private var failed: (any Error)?
    private var stopped = false
    /// Ranges started so far.
    private var started = 0

    /// The piece the reader took and has not copied out whole; the reader's own.
    private var piece: ByteBuffer?

    /// One permit per range the window has room for: the reader gives one back each time it
    /// finishes a range, and `run` starts the next range for it.
    private let permits: AsyncStream<Void>
    private let permit: AsyncStream<Void>.Continuation

    /// The bytes of one range received so far and not yet read.
    private struct RangeBuffer {
        var pieces = CircularBuffer<ByteBuffer>()
        var received: Int64 = 0
        var complete = false
    }

    init(client: S3Client, key: String, size: Int64, retrier: Retrier) {
        self.client = client
        self.key = key
        self.size = size
        self.retrier = retrier
        rangeSize = Swift.max(1, Swift.min(client.transfer.partSize, Self.maximumRangeSize))
        rangeCount = Int((size + rangeSize - 1) / rangeSize)
        window = Swift.max(1, Swift.min(client.transfer.concurrency, Int(Self.maximumHeldBytes / rangeSize)))
        ranges = Array(repeating: RangeBuffer(), count: rangeCount)
        (permits, permit) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .unbounded)
        for _ in 0 ..< Swift.min(window, rangeCount) { permit.yield() }
        if rangeCount == 0 { permit.finish() }
    }

    /// The first error of a range that failed for good, if one did.
    public var failure: (any Error)? {
        condition.withLock { failed }
    }

    /// Ranges started and not yet read to their end: never more than `window`.
    var rangesHeld: Int {
        condition.withLock { started - reading }
    }

    // MARK: fetching, in tasks

    /// Fetches every range, each when the window has room for it; returns when the last one is
    /// in, throws the error of a range that failed for good (or `CancellationError`).
    public func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            for await _ in permits {
                guard next < rangeCount else { break }
                let index = next
                next += 1
                condition.withLock { started += 1 }
                group.addTask { try await self.fetch(index) }
                if next == rangeCount { break }
            }
            try await group.waitForAll()
            // The loop above also ends when a range failed or the reader stopped.
            if let failure { throw failure }
            try Task.checkCancellation()
        }
    }

    private func fetch(_ index: Int) async throws {
        let offset = Int64(index) * rangeSize
        let length = Swift.min(rangeSize, size - offset)
        let whole = rangeCount == 1
        let operation = whole ? "download \(key) (\(size) bytes)" : "download part \(index + 1)/\(rangeCount) of \(key)"
        do {
            try await retrier.run(operation) {
                let received = self.received(index)
                // The rest of an interrupted plain GET is a ranged one.
                try await self.client.getRange(key, offset: offset + received, length: length - received,
                                               ranged: !whole || received > 0) { piece, _ in
                    self.append(piece, to: index)
                }
            }
        } catch {
            fail(error)
            throw error
        }
        condition.withLock {
            ranges[index].complete = true
            condition.signal()
        }
    }

    private func received(_ index: Int) -> Int64 {
        condition.withLock { ranges[index].received }
    }

    private func append(_ piece: ByteBuffer, to index: Int) {
        condition.withLock {
            ranges[index].received += Int64(piece.readableBytes)
            guard !stopped else { return }
            ranges[index].pieces.append(piece)
            condition.signal()
        }
    }

    private func fail(_ error: any Error) {
        condition.withLock {
            if failed == nil { failed = error }
            condition.signal()
        }
        permit.finish()
    }

    // MARK: reading, on one thread

    /// Copies the next bytes, in order, into `buffer`: as many as are there, blocking until at
    /// least one is; 0 at the end of the object.
    ///
    /// - Throws: the error of a range that failed for good, or `CancellationError` after `stop`.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var copied = 0
        while copied < buffer.count {
            if piece == nil || piece!.readableBytes == 0 {
                guard let next = try nextPiece(waiting: copied == 0) else { break }
                piece = next
            }
            let count = Swift.min(piece!.readableBytes, buffer.count - copied)
            piece!.withUnsafeReadableBytes { bytes in
                (buffer.baseAddress! + copied).copyMemory(from: bytes.baseAddress!, byteCount: count)
            }
            piece!.moveReaderIndex(forwardBy: count)
            copied += count
        }
        return copied
    }

    /// The next piece of the range being read; nil at the end of the object, or when nothing is
    /// there yet and `waiting` is false.
    private func nextPiece(waiting: Bool) throws -> ByteBuffer? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let failed { throw failed }
            if stopped { throw CancellationError() }
            guard reading < rangeCount else { return nil }
            if let piece = ranges[reading].pieces.popFirst() { return piece }
            if ranges[reading].complete {
                reading += 1
                permit.yield()
                continue
            }
            guard waiting else { return nil }
            condition.wait()
        }
    }

    /// The reader gives up: a `read` blocked on another thread throws, bytes still arriving are
    /// dropped, and `run` starts no further range (cancel its task to end the ranges in flight).
    public func stop() {
        condition.withLock {
            stopped = true
            for index in ranges.indices { ranges[index].pieces.removeAll() }
            condition.signal()
        }
        permit.finish()
    }
}
