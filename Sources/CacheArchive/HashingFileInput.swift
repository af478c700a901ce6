import CacheEncoding
import CArchive
import CZstd
import Crypto
import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The source libarchive reads a cache archive from, and the first two threads of a restore.
///
/// A reading thread reads the compressed archive from its `ArchiveInput` (a file, or a download
/// that delivers its bytes as they arrive) and hashes every byte of it (to the end, past the end
/// of the tar stream, so the digest covers the whole archive exactly once and the caller can
/// compare it with the expected one). A decompressing thread decodes those blocks' zstd frames
/// into a second small pool of buffers. libarchive, on the extracting thread, parses tar from
/// those (and `ParallelFileWriter`'s workers create the small files). Hashing, decompression and
/// file writes then run at once, as `zstd -dc | tar -x` runs its two processes, with memory
/// bounded by the two pools; on its own, the hash took half of the decompressing thread's time (a
/// restore of incompressible content waited for it). An archive that does not start with zstd's magic number is passed through as
/// it is (an uncompressed tar).
///
/// A download (`LendingArchiveInput`) lends its received pieces instead of filling the first
/// pool: they are hashed and decoded where they lie, bounded by the download's own limit. On two
/// cores that copy was a tenth of the reading thread's time, and that thread is the restore's
/// slowest.
final class HashingFileInput: @unchecked Sendable {
    static let blockSize = 1 << 20
    static let pooledBlocks = 4
    private static let zstdMagic: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]

    let source: any ArchiveInput
    /// Compressed blocks, read and hashed, for the decompressing thread.
    private let compressed = BlockQueue(blocks: HashingFileInput.pooledBlocks, blockSize: HashingFileInput.blockSize)
    /// Decompressed blocks, for libarchive on the extracting thread.
    private let queue = BlockQueue(blocks: HashingFileInput.pooledBlocks, blockSize: HashingFileInput.blockSize)
    /// The block libarchive was last handed; it stays valid until the next read callback.
    private var handed: BlockQueue.Block?
    private var started = false
    private let compressedBytes = Atomic<Int64>(0)
    /// Set when the reading thread is told to stop before the end of the source.
    private let stoppedEarly = Atomic<Bool>(false)

    // Written by the reading thread before it finishes the compressed blocks; the decompressing
    // thread waits for that before it finishes the decompressed ones, and the extracting thread
    // reads them after it saw the end of those (the queues' locks order the three).
    private var digest = ""
    /// Why a read of the source failed: libarchive's message for a failing read callback does not say.
    private(set) var failure: (any Error)?
    /// Why the zstd stream could not be decoded (corrupt or truncated).
    private(set) var decodingFailure: String?

    init(source: any ArchiveInput) {
        self.source = source
    }

    /// Names the archive in messages.
    var name: String { source.name }

    deinit { stop() }

    /// Compressed bytes read so far, for progress lines.
    var bytesRead: Int64 { compressedBytes.load(ordering: .relaxed) }

    /// Registers this object as the input of `archive` (a libarchive reader) and starts the
    /// decompressing thread. The caller keeps `self` alive until the archive is freed, and calls
    /// `stop` when it is done.
    func open(on archive: OpaquePointer) -> Int32 {
        start()
        return archive_read_open(
            archive, Unmanaged.passUnretained(self).toOpaque(), nil,
            { _, client, blockOut in
                let input = Unmanaged<HashingFileInput>.fromOpaque(client!).takeUnretainedValue()
                return input.nextBlock(blockOut)
            },
            nil)
    }

    /// Reads the rest of the file (padding, trailing bytes) after libarchive has seen the end of
    /// the tar stream, so the digest is whole; fails if reading or decoding failed anywhere.
    func drainToEnd() throws(ArchiveError) {
        start()
        while let block = queue.takeFull() { queue.recycle(block) }
        if let failure { throw ArchiveError(.io, "cannot read archive \(name): \(failure)") }
        if let decodingFailure {
            throw ArchiveError(.malformedArchive, "archive \(name) is not a readable tar/zstd archive (\(decodingFailure)); it is corrupt or truncated and was not used")
        }
    }

    /// The sha256 of the whole archive; only meaningful after `drainToEnd` succeeded.
    func finalizeDigest() -> String { digest }

    /// Ends the reading and decompressing threads (at once if the extraction stopped early, even
    /// when one waits for a download's next bytes) and waits for them, so that neither reads
    /// after the caller let go of the source.
    func stop() {
        guard started else { return }
        stoppedEarly.store(true, ordering: .releasing)
        queue.abandon()
        compressed.abandon()
        source.stopReading()
        queue.waitForProducer()
        compressed.waitForProducer()
    }

    private func start() {
        guard !started else { return }
        started = true
        DispatchQueue(label: "swift-cache.read").async { [self] in readAndHash() }
        DispatchQueue(label: "swift-cache.decompress").async { [self] in produce() }
    }

    /// libarchive's read callback: the next decompressed block, 0 at the end, -1 on failure.
    private func nextBlock(_ blockOut: UnsafeMutablePointer<UnsafeRawPointer?>?) -> Int {
        if let handed { queue.recycle(handed) }
        handed = nil
        guard let block = queue.takeFull() else {
            return failure != nil || decodingFailure != nil ? -1 : 0
        }
        handed = block
        blockOut?.pointee = UnsafeRawPointer(block.pointer)
        return block.count
    }

    // MARK: the reading thread

    /// Reads the source to its end into compressed blocks, hashing each; stops early when the
    /// decompressing thread has gone (a refused archive, a cancelled job), and then a read that
    /// fails is that stop, not a failure of the source.
    ///
    /// A block goes on with what one read gave (a download hands over what has arrived), except
    /// the first, which waits for the 4 bytes that tell zstd from a plain tar. After it, a source
    /// that can lend its bytes (a download) passes them on as they are: no copy into the pool.
    private func readAndHash() {
        defer { compressed.finishProducing() }
        var hasher = SHA256()
        var atEnd = false
        var isFirst = true
        let lending = source as? any LendingArchiveInput
        do {
            while !atEnd {
                let next: BlockQueue.Block?
                if let lending, !isFirst {
                    next = try lending.lend().map(BlockQueue.Block.init(lent:))
                } else {
                    guard let free = compressed.takeFree() else { return }
                    next = try fill(free, wanting: isFirst ? Self.zstdMagic.count : 1, atEnd: &atEnd)
                }
                isFirst = false
                guard let next else { break }
                hasher.update(bufferPointer: UnsafeRawBufferPointer(start: next.pointer, count: next.count))
                compressedBytes.add(Int64(next.count), ordering: .relaxed)
                guard compressed.putFull(next) else { return }
            }
        } catch {
            if !stoppedEarly.load(ordering: .acquiring) { failure = error }
            return
        }
        digest = hasher.finalize().hexString
    }

    /// Reads into a free block of the pool what the source has (at least `wanted` bytes, unless
    /// it ends first); nil, with the block given back, when there was nothing left to read.
    private func fill(_ block: UnsafeMutableRawPointer, wanting wanted: Int, atEnd: inout Bool) throws -> BlockQueue.Block? {
        var filled = 0
        do {
            repeat {
                let got = try source.read(into: UnsafeMutableRawBufferPointer(start: block + filled, count: Self.blockSize - filled))
                filled += got
                atEnd = got == 0
            } while filled < wanted && !atEnd
        } catch {
            compressed.returnUnused(block)
            throw error
        }
        guard filled > 0 else {
            compressed.returnUnused(block)
            return nil
        }
        return .init(pointer: block, count: filled)
    }

    // MARK: the decompressing thread

    private func produce() {
        // Last: the reading thread is done (told to stop if this thread ends early), so its
        // digest or failure is written before the extracting thread sees the end of the blocks.
        defer { queue.finishProducing() }
        defer {
            compressed.abandon()
            compressed.waitForProducer()
        }
        let stream = ZSTD_createDStream()
        defer { ZSTD_freeDStream(stream) }
        ZSTD_initDStream(stream)
        var output = Output(queue: queue)
        defer { output.finish() }

        var isCompressed: Bool?
        var frameRemainder = 0
        while let block = compressed.takeFull() {
            // zstd keeps no reference to its input once a call has consumed it.
            defer { compressed.recycle(block) }
            let input = UnsafeRawBufferPointer(start: block.pointer, count: block.count)
            if isCompressed == nil {
                isCompressed = input.count >= 4 && Array(input.prefix(4)) == Self.zstdMagic
            }
            guard isCompressed == true else {
                guard output.append(input) else { return stopReadingEarly() }
                continue
            }
            var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
            while source.pos < source.size {
                guard let remainder = output.decompress(stream, from: &source) else { return stopReadingEarly() }
                if let message = remainder.error {
                    decodingFailure = message
                    return stopReadingEarly()
                }
                frameRemainder = remainder.hint
            }
        }
        // The reading thread finished; a read that failed is the error to report, not the frame
        // it cut short.
        if failure != nil { return }
        if isCompressed == true {
            // Flush what the decoder still holds of the last frame (0 means the frame is done;
            // asking again would start waiting for another frame's header).
            var empty = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
            while frameRemainder != 0 {
                let before = output.filled
                guard let remainder = output.decompress(stream, from: &empty) else { return }
                if let message = remainder.error {
                    decodingFailure = message
                    return
                }
                frameRemainder = remainder.hint
                if output.filled == before && !output.justFlushed { break }
            }
            if frameRemainder != 0 {
                decodingFailure = "the zstd stream ends in the middle of a frame"
                return
            }
        }
    }

    /// This thread ends before the archive does (a refused or corrupt archive, an extraction
    /// that stopped): the reading thread must not wait for a download's next bytes, nobody will
    /// use them.
    private func stopReadingEarly() {
        stoppedEarly.store(true, ordering: .releasing)
        compressed.abandon()
        source.stopReading()
    }

    /// The block being filled on the decompressing thread.
    private struct Output {
        let queue: BlockQueue
        var block: UnsafeMutableRawPointer?
        var filled = 0
        /// True when the last call handed a full block to the queue (the decoder may hold more).
        var justFlushed = false

        init(queue: BlockQueue) { self.queue = queue }

        /// A block with room in it, or nil when the extraction stopped.
        private mutating func room() -> UnsafeMutableRawPointer? {
            if let block { return block }
            block = queue.takeFree()
            filled = 0
            return block
        }

        private mutating func handOverIfFull() {
            justFlushed = false
            guard let block, filled == queue.blockSize else { return }
            queue.putFull(.init(pointer: block, count: filled))
            self.block = nil
            filled = 0
            justFlushed = true
        }

        /// Copies raw bytes (an uncompressed archive); false when the extraction stopped.
        mutating func append(_ bytes: UnsafeRawBufferPointer) -> Bool {
            var offset = 0
            while offset < bytes.count {
                guard let target = room() else { return false }
                let count = Swift.min(bytes.count - offset, queue.blockSize - filled)
                (target + filled).copyMemory(from: bytes.baseAddress! + offset, byteCount: count)
                filled += count
                offset += count
                handOverIfFull()
            }
            return true
        }

        /// One call of the decoder into the current block; nil when the extraction stopped.
        mutating func decompress(_ stream: OpaquePointer?, from source: inout ZSTD_inBuffer) -> (hint: Int, error: String?)? {
            guard let target = room() else { return nil }
            var destination = ZSTD_outBuffer(dst: target, size: queue.blockSize, pos: filled)
            let result = ZSTD_decompressStream(stream, &destination, &source)
            if ZSTD_isError(result) != 0 {
                return (0, String(cString: ZSTD_getErrorName(result)))
            }
            filled = destination.pos
            handOverIfFull()
            return (result, nil)
        }

        /// Hands over the last, partly filled block, or gives an unused one back.
        mutating func finish() {
            guard let block else { return }
            if filled > 0 {
                queue.putFull(.init(pointer: block, count: filled))
            } else {
                queue.returnUnused(block)
            }
            self.block = nil
        }
    }
}
