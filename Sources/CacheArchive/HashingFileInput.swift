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

/// The source libarchive reads a cache archive from, and the first of the two threads of a
/// restore.
///
/// A thread of its own reads the compressed archive from its `ArchiveInput` (a file, or a
/// download that delivers its bytes as they arrive), hashes every byte of it (to the end, past
/// the end of the tar stream, so the digest covers the whole archive exactly once and the caller
/// can compare it with the expected one) and decompresses the zstd frames into a small pool of
/// buffers. libarchive, on the extracting thread, parses tar and writes files from those buffers.
/// Decompression and file writes then run on two cores at once, as `zstd -dc | tar -x` does,
/// with memory bounded by the pool. An archive that does not start with zstd's magic number is
/// passed through as it is (an uncompressed tar).
final class HashingFileInput: @unchecked Sendable {
    static let blockSize = 1 << 20
    static let pooledBlocks = 4
    private static let zstdMagic: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]

    let source: any ArchiveInput
    private let queue = BlockQueue(blocks: HashingFileInput.pooledBlocks, blockSize: HashingFileInput.blockSize)
    /// The block libarchive was last handed; it stays valid until the next read callback.
    private var lent: UnsafeMutableRawPointer?
    private var started = false
    private let compressedBytes = Atomic<Int64>(0)

    // Written by the decompressing thread before `finishProducing`, read by the extracting
    // thread after it saw the end of the blocks (the queue's lock orders the two).
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
        while let block = queue.takeFull() { queue.recycle(block.pointer) }
        if let failure { throw ArchiveError(.io, "cannot read archive \(name): \(failure)") }
        if let decodingFailure {
            throw ArchiveError(.malformedArchive, "archive \(name) is not a readable tar/zstd archive (\(decodingFailure)); it is corrupt or truncated and was not used")
        }
    }

    /// The sha256 of the whole archive; only meaningful after `drainToEnd` succeeded.
    func finalizeDigest() -> String { digest }

    /// Ends the decompressing thread (at once if the extraction stopped early, even when it waits
    /// for a download's next bytes) and waits for it, so that it never reads after the caller
    /// let go of the source.
    func stop() {
        guard started else { return }
        queue.abandon()
        source.stopReading()
        queue.waitForProducer()
    }

    private func start() {
        guard !started else { return }
        started = true
        DispatchQueue(label: "swift-cache.decompress").async { [self] in produce() }
    }

    /// libarchive's read callback: the next decompressed block, 0 at the end, -1 on failure.
    private func nextBlock(_ blockOut: UnsafeMutablePointer<UnsafeRawPointer?>?) -> Int {
        if let lent { queue.recycle(lent) }
        lent = nil
        guard let block = queue.takeFull() else {
            return failure != nil || decodingFailure != nil ? -1 : 0
        }
        lent = block.pointer
        blockOut?.pointee = UnsafeRawPointer(block.pointer)
        return block.count
    }

    // MARK: the decompressing thread

    private func produce() {
        defer { queue.finishProducing() }
        var hasher = SHA256()
        let input = UnsafeMutableRawPointer.allocate(byteCount: Self.blockSize, alignment: 64)
        defer { input.deallocate() }
        let stream = ZSTD_createDStream()
        defer { ZSTD_freeDStream(stream) }
        ZSTD_initDStream(stream)
        var output = Output(queue: queue)
        defer { output.finish() }

        var isCompressed: Bool?
        var frameRemainder = 0
        while true {
            let got: Int
            do {
                got = try source.read(into: UnsafeMutableRawBufferPointer(start: input, count: Self.blockSize))
            } catch {
                failure = error
                return
            }
            if got == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(start: input, count: got))
            compressedBytes.add(Int64(got), ordering: .relaxed)
            if isCompressed == nil {
                isCompressed = got >= 4 && Array(UnsafeRawBufferPointer(start: input, count: 4)) == Self.zstdMagic
            }
            guard isCompressed == true else {
                guard output.append(UnsafeRawBufferPointer(start: input, count: got)) else { return }
                continue
            }
            var source = ZSTD_inBuffer(src: input, size: got, pos: 0)
            while source.pos < source.size {
                guard let remainder = output.decompress(stream, from: &source) else { return }
                if let message = remainder.error {
                    decodingFailure = message
                    return
                }
                frameRemainder = remainder.hint
            }
        }
        if isCompressed == true {
            // Flush what the decoder still holds of the last frame (0 means the frame is done;
            // asking again would start waiting for another frame's header).
            var empty = ZSTD_inBuffer(src: input, size: 0, pos: 0)
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
        digest = hasher.finalize().hexString
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
