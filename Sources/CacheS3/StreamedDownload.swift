import CacheRetry
import EssentialsCompat
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore

/// An object read once, in order, by one thread (a restore's decompressing thread) while it
/// downloads: the reader gets the first bytes as soon as they arrive, and download and
/// extraction overlap instead of running one after the other.
///
/// The object comes as one GET (or, when the transfer options set a range size, as ranged GETs of
/// that size, one after the other), handed to the reader piece by piece as it arrives. Memory is
/// bounded whatever the object's size: when `heldLimit` bytes wait for the reader, the download
/// stops taking more (the connection's flow control then holds the server back) until the reader
/// catches up.
///
/// Each GET is one call, retried on its own by the retrier. A retry resumes at the first byte
/// not received yet (a ranged GET of the rest): the bytes already received may already be with
/// the reader, which cannot give them back. A GET whose retries are spent while it still got the
/// transfer options' `freshRetriesAfter` bytes further gets a fresh set (`Retrier.runResuming`):
/// a link that drops now and then does not fail a 2 GB restore that a 100 MB one survives. A GET
/// that still fails fails the whole download: `run` throws its error and the reader's next `read`
/// throws it too.
///
/// Use: start `run` in a task, read with `read(into:)` (or borrow the received pieces with
/// `lend`, which saves a copy) on a thread that may block, and call `stop` when the reader gives
/// up early.
public final class StreamedDownload: @unchecked Sendable {
    /// The most memory held for the reader (pieces received and not read yet, or lent and not
    /// given back yet), give or take one piece of a response: enough to keep the extraction fed
    /// while the connection's flow control resumes the server; a restore from S3 then peaks at
    /// about 40 MiB of memory (50 MiB over TLS; measured from 100 MB to 2 GB), whatever the
    /// blob's size.
    public static let maximumHeldBytes = 8 * 1024 * 1024

    public let key: String
    public let size: Int64
    let rangeSize: Int64
    let rangeCount: Int
    let heldLimit: Int
    private let client: S3Client
    private let retrier: Retrier

    /// Guards everything below it; the reader waits on it for the next bytes.
    private let condition = ThreadCondition()
    private var pieces = CircularBuffer<HeldPiece>()
    /// The memory `pieces` keep alive (their `cost`).
    private var held = 0
    /// Bytes received so far, in order from the first: where a retry resumes.
    private var received: Int64 = 0
    private var complete = false
    private var failed: (any Error)?
    private var stopped = false
    /// The download, waiting for the reader to make room.
    private var roomWaiter: CheckedContinuation<Void, Never>?
    /// The most bytes held at once so far.
    private(set) var mostHeld = 0
    /// The bytes held now: received and not read, or lent and not given back.
    var heldNow: Int { condition.withLock { held } }

    /// The piece the reader took and has not copied out whole; the reader's own.
    private var piece: ByteBuffer?

    init(client: S3Client, key: String, size: Int64, retrier: Retrier, heldLimit: Int = StreamedDownload.maximumHeldBytes) {
        self.client = client
        self.key = key
        self.size = size
        self.retrier = retrier
        self.heldLimit = heldLimit
        rangeSize = Swift.max(1, Swift.min(client.transfer.downloadRangeSize ?? size, size))
        rangeCount = size == 0 ? 0 : Int((size - 1) / rangeSize + 1)
    }

    /// The first error of a range that failed for good, if one did.
    public var failure: (any Error)? {
        condition.withLock { failed }
    }

    // MARK: fetching, in a task

    /// Fetches every range in order; returns when the last one is in, throws the error of a
    /// range that failed for good (or `CancellationError`).
    public func run() async throws {
        do {
            for index in 0 ..< rangeCount {
                try await fetch(index)
            }
        } catch {
            fail(error)
            throw error
        }
        condition.withLock {
            complete = true
            condition.signal()
        }
    }

    private func fetch(_ index: Int) async throws {
        let offset = Int64(index) * rangeSize
        let length = Swift.min(rangeSize, size - offset)
        let whole = rangeCount == 1
        let operation = whole ? "download \(key) (\(size) bytes)" : "download part \(index + 1)/\(rangeCount) of \(key)"
        try await retrier.runResuming(operation, progress: { self.condition.withLock { self.received } }, freshAfter: client.transfer.freshRetriesAfter) {
            let done = self.condition.withLock { self.received } - offset
            // The rest of an interrupted plain GET is a ranged one.
            try await self.client.getRange(key, offset: offset + done, length: length - done, ranged: !whole || done > 0) { piece, _ in
                try await self.append(piece)
            }
        }
    }

    /// Hands a piece to the reader, then waits while too much is held.
    ///
    /// What the HTTP client hands over is a slice of the buffer it read from the socket, and a
    /// held slice keeps that whole buffer alive; so a piece counts for its buffer's capacity, not
    /// its own size. The client reads a body into buffers its pieces fill (up to
    /// `S3HTTPClient.largestRead` each; NIO halves a buffer that reads leave less than half full):
    /// they are held as they are. A piece of a much larger buffer is copied into one of its own
    /// size first, so bytes held bound memory either way.
    private func append(_ received: ByteBuffer) async throws {
        // An empty piece carries nothing, and a lent piece always has bytes.
        guard received.readableBytes > 0 else { return }
        let piece = HeldPiece(received)
        let full = condition.withLock { () -> Bool in
            self.received += Int64(piece.buffer.readableBytes)
            guard !stopped else { return false }
            pieces.append(piece)
            held += piece.cost
            mostHeld = Swift.max(mostHeld, held)
            condition.signal()
            return held >= heldLimit
        }
        if full { try await waitForRoom() }
        if condition.withLock({ stopped }) { throw CancellationError() }
    }

    private func waitForRoom() async throws {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
                let now = condition.withLock { () -> Bool in
                    guard held >= heldLimit, !stopped, failed == nil, !Task.isCancelled else { return true }
                    roomWaiter = waiter
                    return false
                }
                if now { waiter.resume() }
            }
        } onCancel: {
            condition.withLock { wakeWriter() }
        }
        try Task.checkCancellation()
    }

    /// Resumes the download waiting for room, if it waits. Call with the lock held.
    private func wakeWriter() {
        roomWaiter?.resume()
        roomWaiter = nil
    }

    private func fail(_ error: any Error) {
        condition.withLock {
            // After `stop`, a failure is the reader's doing (it gave up), not the download's.
            if failed == nil && !stopped { failed = error }
            condition.signal()
            wakeWriter()
        }
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
                piece = next.buffer
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

    /// The next piece, lent where it lies instead of copied out (the restore's reading thread
    /// hashes it and its decompressing thread decodes it there), or nil at the end of the object.
    /// It counts as held until `giveBack` is called, so the bound on memory covers the pieces the
    /// restore still works on. Takes up where `read(into:)` stopped.
    ///
    /// - Throws: as `read(into:)`.
    public func lend() throws -> (bytes: UnsafeRawBufferPointer, giveBack: @Sendable () -> Void)? {
        let lent: HeldPiece
        if let rest = piece, rest.readableBytes > 0 {
            // No longer counted as held: `read(into:)` took it.
            lent = HeldPiece(rest, cost: 0)
        } else {
            guard let next = try nextPiece(waiting: true, counted: true) else { return nil }
            lent = next
        }
        piece = nil
        // The bytes stay where they are while their storage lives, and the closure keeps it alive.
        let bytes = lent.buffer.withUnsafeReadableBytesWithStorageManagement { bytes, _ in bytes }
        return (bytes, { [self] in
            withExtendedLifetime(lent.buffer) {}
            giveBack(lent.cost)
        })
    }

    /// A lent piece's memory is free again.
    private func giveBack(_ cost: Int) {
        guard cost > 0 else { return }
        condition.withLock {
            // `stop` dropped every count.
            guard !stopped else { return }
            release(cost)
        }
    }

    /// Stops counting `cost` bytes as held, and lets a download that waits for room go on once
    /// there is room. Call with the lock held.
    private func release(_ cost: Int) {
        held -= cost
        if held < heldLimit { wakeWriter() }
    }

    /// The next piece; nil at the end of the object, or when nothing is there yet and `waiting`
    /// is false. It stays `counted` as held (until given back), or no longer is.
    private func nextPiece(waiting: Bool, counted: Bool = false) throws -> HeldPiece? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let failed { throw failed }
            if stopped { throw CancellationError() }
            if let piece = pieces.popFirst() {
                if !counted { release(piece.cost) }
                return piece
            }
            if complete { return nil }
            guard waiting else { return nil }
            condition.wait()
        }
    }

    /// The reader gives up: a `read` blocked on another thread throws, and the download stops
    /// at its next piece (cancel its task to end the request in flight at once).
    public func stop() {
        condition.withLock {
            stopped = true
            pieces.removeAll()
            held = 0
            condition.signal()
            wakeWriter()
        }
    }
}

/// A received piece waiting for the reader, with the memory it keeps alive.
private struct HeldPiece: Sendable {
    let buffer: ByteBuffer
    /// The bytes of the buffer's storage, which a slice keeps alive whole.
    let cost: Int

    init(_ buffer: ByteBuffer, cost: Int) {
        self.buffer = buffer
        self.cost = cost
    }

    /// A piece that would keep more than twice its size alive is copied into one of its own.
    init(_ received: ByteBuffer) {
        if received.storageCapacity <= 2 * received.readableBytes {
            buffer = received
        } else {
            var copy = ByteBufferAllocator().buffer(capacity: received.readableBytes)
            copy.writeImmutableBuffer(received)
            buffer = copy
        }
        cost = buffer.storageCapacity
    }
}
