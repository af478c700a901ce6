import CZlib
import CZstd

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Decompresses one entry's data (store, deflate or zstd) in blocks, and proves it is what
/// the central directory claims: never more bytes than its size (a lying size cannot
/// inflate a bomb past the limits checked up front), exactly that many in the end, and the
/// CRC-32 it names.
final class ZipEntryData {
    static let blockSize = 1 << 20

    private let fd: Int32
    private let path: String
    private let isCancelled: @Sendable () -> Bool
    private let input = UnsafeMutableRawPointer.allocate(byteCount: ZipEntryData.blockSize, alignment: 64)
    private let output = UnsafeMutableRawPointer.allocate(byteCount: ZipEntryData.blockSize, alignment: 64)
    private var zstd: OpaquePointer?

    init(fd: Int32, path: String, isCancelled: @escaping @Sendable () -> Bool) {
        self.fd = fd
        self.path = path
        self.isCancelled = isCancelled
    }

    deinit {
        if let zstd { ZSTD_freeDCtx(zstd) }
        input.deallocate()
        output.deallocate()
    }

    /// The whole entry in memory, for the manifest and symlink targets; `limit` bounds it.
    func bytes(of entry: ZipCentralDirectory.Entry, limit: Int) throws(ArchiveError) -> [UInt8] {
        let shown = "'\(PathBytesSyntax.display(entry.name))'"
        guard entry.size <= UInt64(limit) else {
            throw ArchiveError(.malformedArchive, "archive \(path) has entry \(shown) of \(entry.size) bytes, more than the \(limit) such an entry can hold; it was not used")
        }
        var collected: [UInt8] = []
        try stream(entry) { (block: UnsafeRawBufferPointer) throws(ArchiveError) in collected.append(contentsOf: block) }
        return collected
    }

    /// Hands the decompressed data to `sink` block by block.
    func stream(_ entry: ZipCentralDirectory.Entry, into sink: (UnsafeRawBufferPointer) throws(ArchiveError) -> Void) throws(ArchiveError) {
        let shown = "'\(PathBytesSyntax.display(entry.name))'"
        func malformed(_ why: String) -> ArchiveError {
            ArchiveError(.malformedArchive, "archive \(path): entry \(shown) \(why); the archive is corrupt or hostile and was not used")
        }
        var crc = ZipCRC()
        var produced: UInt64 = 0
        func deliver(_ block: UnsafeRawBufferPointer) throws(ArchiveError) {
            guard block.count > 0 else { return }
            produced += UInt64(block.count)
            guard produced <= entry.size else { throw malformed("expands to more than the \(entry.size) bytes its header claims") }
            crc.update(block)
            try sink(block)
        }
        switch entry.method {
        case .store:
            guard entry.compressedSize == entry.size else { throw malformed("is stored but its two sizes differ") }
            try readCompressed(entry) { (block: UnsafeRawBufferPointer) throws(ArchiveError) in try deliver(block) }
        case .zstd:
            try decompressZstd(entry, deliver: deliver, malformed: malformed)
        case .deflate:
            try inflate(entry, deliver: deliver, malformed: malformed)
        }
        guard produced == entry.size else { throw malformed("holds \(produced) bytes, not the \(entry.size) its header claims") }
        guard crc.value == entry.crc else { throw malformed("fails its CRC-32 check") }
    }

    /// The compressed bytes of the entry, block by block, read with pread (no shared offset).
    private func readCompressed(_ entry: ZipCentralDirectory.Entry, _ body: (UnsafeRawBufferPointer) throws(ArchiveError) -> Void) throws(ArchiveError) {
        var offset = entry.dataOffset
        var remaining = entry.compressedSize
        while remaining > 0 {
            if isCancelled() { throw ArchiveError(.cancelled, "cancelled while extracting \(path); nothing partial is left") }
            let wanted = Int(min(remaining, UInt64(Self.blockSize)))
            let got = pread(fd, input, wanted, off_t(offset))
            if got < 0 && errno == EINTR { continue }
            guard got >= 0 else { throw ArchiveError(.io, "cannot read archive \(path): \(POSIX.errorText(errno))") }
            guard got > 0 else { throw ArchiveError(.malformedArchive, "archive \(path) ends inside entry '\(PathBytesSyntax.display(entry.name))'; it is truncated and was not used") }
            offset += UInt64(got)
            remaining -= UInt64(got)
            try body(UnsafeRawBufferPointer(start: input, count: got))
        }
    }

    private func decompressZstd(_ entry: ZipCentralDirectory.Entry, deliver: (UnsafeRawBufferPointer) throws(ArchiveError) -> Void,
                                malformed: (String) -> ArchiveError) throws(ArchiveError) {
        if zstd == nil { zstd = ZSTD_createDCtx() }
        guard let context = zstd else { throw ArchiveError(.io, "cannot decompress \(path): libzstd could not allocate a context (out of memory?)") }
        ZSTD_DCtx_reset(context, ZSTD_reset_session_only)
        var frameLeft = 1
        try readCompressed(entry) { (block: UnsafeRawBufferPointer) throws(ArchiveError) in
            var source = ZSTD_inBuffer(src: block.baseAddress, size: block.count, pos: 0)
            while source.pos < source.size {
                var sink = ZSTD_outBuffer(dst: output, size: Self.blockSize, pos: 0)
                let result = ZSTD_decompressStream(context, &sink, &source)
                if ZSTD_isError(result) != 0 { throw malformed("is not valid zstd data (\(String(cString: ZSTD_getErrorName(result))))") }
                frameLeft = result
                try deliver(UnsafeRawBufferPointer(start: output, count: sink.pos))
            }
        }
        // Flush what the decoder still holds once all input is in.
        var empty = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
        while frameLeft != 0 {
            var sink = ZSTD_outBuffer(dst: output, size: Self.blockSize, pos: 0)
            let result = ZSTD_decompressStream(context, &sink, &empty)
            if ZSTD_isError(result) != 0 { throw malformed("is not valid zstd data (\(String(cString: ZSTD_getErrorName(result))))") }
            try deliver(UnsafeRawBufferPointer(start: output, count: sink.pos))
            if sink.pos == 0 {
                if result != 0 { throw malformed("ends in the middle of a zstd frame") }
                break
            }
            frameLeft = result
        }
    }

    private func inflate(_ entry: ZipCentralDirectory.Entry, deliver: (UnsafeRawBufferPointer) throws(ArchiveError) -> Void,
                         malformed: (String) -> ArchiveError) throws(ArchiveError) {
        var stream = z_stream()
        guard czlib_inflate_init_raw(&stream) == Z_OK else { throw ArchiveError(.io, "cannot inflate \(path): zlib could not start") }
        defer { inflateEnd(&stream) }
        var finished = false
        try readCompressed(entry) { (block: UnsafeRawBufferPointer) throws(ArchiveError) in
            guard !finished else { throw malformed("has bytes after the end of its Deflate stream") }
            stream.next_in = UnsafeMutablePointer(mutating: block.baseAddress!.assumingMemoryBound(to: Bytef.self))
            stream.avail_in = uInt(block.count)
            // Until this block is taken in and no output is pending (a full output buffer may mean more).
            repeat {
                stream.next_out = output.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(Self.blockSize)
                let status = CZlib.inflate(&stream, Z_NO_FLUSH)
                guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                    throw malformed("is not valid Deflate data (zlib status \(status))")
                }
                let made = Self.blockSize - Int(stream.avail_out)
                try deliver(UnsafeRawBufferPointer(start: output, count: made))
                finished = status == Z_STREAM_END
                if status == Z_BUF_ERROR && made == 0 { break }
            } while !finished && (stream.avail_in > 0 || stream.avail_out == 0)
        }
        if !finished && entry.compressedSize > 0 {
            throw malformed("ends in the middle of its Deflate stream")
        }
    }
}
