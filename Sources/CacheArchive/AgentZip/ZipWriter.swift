import CacheEncoding
import CZlib
import CZstd
import Crypto

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes zip entries to a file in one forward pass, hashing every byte as it goes (the digest
/// names the blob), and the central directory at the end.
///
/// Everything that could vary between two writes of the same tree is fixed: the time of every
/// entry, no owner, no extra field but the timestamp (and zip64 when needed), one zstd level
/// on one thread. Entries whose compressed size is unknown until written (zstd files) carry a
/// data descriptor, so nothing is ever rewritten and the hash stays single-pass.
final class ZipWriter {
    typealias CentralRecord = ZipEntryRecord

    static let bufferSize = 1 << 20
    /// zstd's default level, the one the agent's encoder ("SpeedDefault") approximates.
    static let zstdLevel: Int32 = 3

    let path: String
    private let fd: Int32
    private let isCancelled: @Sendable () -> Bool
    private var hasher = SHA256()
    private var pending: [UInt8] = []
    private(set) var offset: UInt64 = 0
    private var records: [CentralRecord] = []
    private var zstd: OpaquePointer?
    private let readBuffer = UnsafeMutableRawPointer.allocate(byteCount: ZipWriter.bufferSize, alignment: 64)
    private let compressBuffer = UnsafeMutableRawPointer.allocate(byteCount: ZipWriter.bufferSize, alignment: 64)

    init(fd: Int32, path: String, isCancelled: @escaping @Sendable () -> Bool) {
        self.fd = fd
        self.path = path
        self.isCancelled = isCancelled
        pending.reserveCapacity(Self.bufferSize)
    }

    deinit {
        if let zstd { ZSTD_freeCCtx(zstd) }
        readBuffer.deallocate()
        compressBuffer.deallocate()
    }

    var digest: String { hasher.finalize().hexString }

    // MARK: entries

    /// An entry whose data is in memory: directories (empty), symlinks (their target), empty
    /// files, and the manifest (Deflate).
    func add(name: [UInt8], mode: UInt32, data: [UInt8], method: ZipFormat.Method) throws(ArchiveError) {
        precondition(method != .zstd, "zstd entries are streamed from files")
        try Self.checkLength(of: name)
        let stored: [UInt8] = method == .deflate ? try Self.deflate(data, name: name) : data
        let record = CentralRecord(
            name: name, flags: Self.nameFlags(name), method: method, crc: ZipCRC.of(data),
            compressedSize: UInt64(stored.count), size: UInt64(data.count), localHeaderOffset: offset,
            externalAttributes: Self.externalAttributes(mode: mode))
        try emit(localHeader(record, sizesKnown: true))
        try emit(stored)
        records.append(record)
    }

    /// A non-empty regular file, read from `file` and compressed with zstd as it is read.
    /// Stores the bytes read, at most `expectedSize`; returns how many that was and whether the
    /// file turned out longer (it grew while it was read).
    func addZstdFile(name: [UInt8], mode: UInt32, file: Int32, expectedSize: Int64, shownPath: String) throws(ArchiveError) -> (stored: Int64, grew: Bool) {
        try Self.checkLength(of: name)
        var record = CentralRecord(
            name: name, flags: Self.nameFlags(name) | ZipFormat.flagDataDescriptor, method: .zstd, crc: 0,
            compressedSize: 0, size: 0, localHeaderOffset: offset, externalAttributes: Self.externalAttributes(mode: mode))
        try emit(localHeader(record, sizesKnown: false))
        let context = try zstdContext()
        var crc = ZipCRC()
        var remaining = expectedSize
        var grew = false
        var compressed: UInt64 = 0
        while true {
            if isCancelled() { throw ArchiveError(.cancelled, "cancelled; the partial archive \(path) is removed") }
            // One byte more than expected at the end tells a file that grew, without an extra read.
            let wanted = remaining >= Int64(Self.bufferSize) ? Self.bufferSize : Int(remaining) + 1
            let got = POSIX.readSome(file, readBuffer, wanted)
            guard got >= 0 else { throw ArchiveError(.io, "cannot read \(shownPath): \(POSIX.errorText(Int32(-got)))") }
            let usable = Int(min(Int64(got), remaining))
            if Int64(got) > Int64(usable) { grew = true }
            remaining -= Int64(usable)
            crc.update(UnsafeRawBufferPointer(start: readBuffer, count: usable))
            let end = got == 0 || grew || remaining == 0 && got < wanted
            compressed += try compress(context, UnsafeRawBufferPointer(start: readBuffer, count: usable), end: end, shownPath: shownPath)
            if end { break }
        }
        record.crc = crc.value
        record.compressedSize = compressed
        record.size = UInt64(expectedSize - remaining)
        var descriptor = ZipBytes()
        descriptor.u32(ZipFormat.dataDescriptorSignature)
        descriptor.u32(record.crc)
        if Self.needsZip64Sizes(record) {
            descriptor.u64(record.compressedSize)
            descriptor.u64(record.size)
        } else {
            descriptor.u32(UInt32(record.compressedSize))
            descriptor.u32(UInt32(record.size))
        }
        try emit(descriptor.bytes)
        records.append(record)
        return (Int64(record.size), grew)
    }

    /// Writes the central directory and its end records, then flushes everything to the file.
    func finish() throws(ArchiveError) {
        let start = offset
        for record in records { try emit(centralHeader(record)) }
        let size = offset - start
        let count = UInt64(records.count)
        var end = ZipBytes()
        let needsZip64 = count >= UInt64(ZipFormat.zip64Marker16) || start >= UInt64(ZipFormat.zip64Marker32)
            || size >= UInt64(ZipFormat.zip64Marker32)
        if needsZip64 {
            let zip64End = offset
            end.u32(ZipFormat.zip64EndSignature)
            end.u64(UInt64(ZipFormat.zip64EndSize - 12))
            end.u16(ZipFormat.unixHost << 8 | 45)
            end.u16(45)
            end.u32(0)
            end.u32(0)
            end.u64(count)
            end.u64(count)
            end.u64(size)
            end.u64(start)
            end.u32(ZipFormat.zip64LocatorSignature)
            end.u32(0)
            end.u64(zip64End)
            end.u32(1)
        }
        end.u32(ZipFormat.endOfCentralDirectorySignature)
        end.u16(0)
        end.u16(0)
        end.u16(UInt16(min(count, UInt64(ZipFormat.zip64Marker16))))
        end.u16(UInt16(min(count, UInt64(ZipFormat.zip64Marker16))))
        end.u32(UInt32(min(size, UInt64(ZipFormat.zip64Marker32))))
        end.u32(UInt32(min(start, UInt64(ZipFormat.zip64Marker32))))
        end.u16(0)
        try emit(end.bytes)
        try flush()
    }

    // MARK: headers

    private func localHeader(_ record: CentralRecord, sizesKnown: Bool) -> [UInt8] {
        var header = ZipBytes()
        let zip64 = sizesKnown && Self.needsZip64Sizes(record)
        header.u32(ZipFormat.localHeaderSignature)
        header.u16(zip64 ? 45 : record.method.versionNeeded)
        header.u16(record.flags)
        header.u16(record.method.rawValue)
        header.u16(ZipFormat.fixedDosTime)
        header.u16(ZipFormat.fixedDosDate)
        header.u32(sizesKnown ? record.crc : 0)
        header.u32(!sizesKnown ? 0 : zip64 ? ZipFormat.zip64Marker32 : UInt32(record.compressedSize))
        header.u32(!sizesKnown ? 0 : zip64 ? ZipFormat.zip64Marker32 : UInt32(record.size))
        var extra = ZipBytes()
        if zip64 {
            extra.u16(ZipFormat.zip64ExtraTag)
            extra.u16(16)
            extra.u64(record.size)
            extra.u64(record.compressedSize)
        }
        extra.append(Self.timestampExtra)
        header.u16(UInt16(record.name.count))
        header.u16(UInt16(extra.bytes.count))
        header.append(record.name)
        header.append(extra.bytes)
        return header.bytes
    }

    private func centralHeader(_ record: CentralRecord) -> [UInt8] {
        let marker = UInt64(ZipFormat.zip64Marker32)
        var zip64Fields = ZipBytes()
        if record.size >= marker { zip64Fields.u64(record.size) }
        if record.compressedSize >= marker { zip64Fields.u64(record.compressedSize) }
        if record.localHeaderOffset >= marker { zip64Fields.u64(record.localHeaderOffset) }
        var extra = ZipBytes()
        if !zip64Fields.bytes.isEmpty {
            extra.u16(ZipFormat.zip64ExtraTag)
            extra.u16(UInt16(zip64Fields.bytes.count))
            extra.append(zip64Fields.bytes)
        }
        extra.append(Self.timestampExtra)
        let version = zip64Fields.bytes.isEmpty ? record.method.versionNeeded : 45
        var header = ZipBytes()
        header.u32(ZipFormat.centralHeaderSignature)
        header.u16(ZipFormat.unixHost << 8 | 63)
        header.u16(version)
        header.u16(record.flags)
        header.u16(record.method.rawValue)
        header.u16(ZipFormat.fixedDosTime)
        header.u16(ZipFormat.fixedDosDate)
        header.u32(record.crc)
        header.u32(UInt32(min(record.compressedSize, marker)))
        header.u32(UInt32(min(record.size, marker)))
        header.u16(UInt16(record.name.count))
        header.u16(UInt16(extra.bytes.count))
        header.u16(0)
        header.u16(0)
        header.u16(0)
        header.u32(record.externalAttributes)
        header.u32(UInt32(min(record.localHeaderOffset, marker)))
        header.append(record.name)
        header.append(extra.bytes)
        return header.bytes
    }

    /// The extended timestamp field (mtime only, UTC seconds), which the agent writes too: the
    /// DOS time beside it has no time zone.
    private static let timestampExtra: [UInt8] = {
        var extra = ZipBytes()
        extra.u16(ZipFormat.extendedTimestampTag)
        extra.u16(5)
        extra.bytes.append(1)
        extra.u32(ZipFormat.fixedUnixTime)
        return extra.bytes
    }()

    private static func needsZip64Sizes(_ record: CentralRecord) -> Bool {
        record.size >= UInt64(ZipFormat.zip64Marker32) || record.compressedSize >= UInt64(ZipFormat.zip64Marker32)
    }

    /// A zip name has a 16-bit length.
    private static func checkLength(of name: [UInt8]) throws(ArchiveError) {
        guard name.count <= Int(UInt16.max) else {
            throw ArchiveError(.invalidRequest, "cannot store \(PathBytesSyntax.display(Array(name.prefix(80))))…: its name is longer than the 65535 bytes a zip entry name can hold")
        }
    }

    /// UTF-8 names are flagged so readers do not take them for CP437; plain ASCII needs no flag.
    private static func nameFlags(_ name: [UInt8]) -> UInt16 {
        guard name.contains(where: { $0 >= 0x80 }) else { return 0 }
        return String(validating: name, as: UTF8.self) != nil ? ZipFormat.flagUTF8 : 0
    }

    /// The UNIX mode (type and permission bits) in the upper half, and the DOS directory bit.
    static func externalAttributes(mode: UInt32) -> UInt32 {
        let isDirectory = mode & 0o170000 == 0o040000
        return mode << 16 | (isDirectory ? ZipFormat.msdosDirectory : 0)
    }

    // MARK: compression and output

    private func zstdContext() throws(ArchiveError) -> OpaquePointer {
        if let zstd {
            ZSTD_CCtx_reset(zstd, ZSTD_reset_session_only)
            return zstd
        }
        guard let context = ZSTD_createCCtx() else {
            throw ArchiveError(.io, "cannot start zstd compression: libzstd could not allocate a context (out of memory?)")
        }
        ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, Self.zstdLevel)
        zstd = context
        return context
    }

    /// Compresses `input` into the file; with `end`, closes the frame. Returns the bytes emitted.
    private func compress(_ context: OpaquePointer, _ input: UnsafeRawBufferPointer, end: Bool, shownPath: String) throws(ArchiveError) -> UInt64 {
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        var emitted: UInt64 = 0
        while true {
            var sink = ZSTD_outBuffer(dst: compressBuffer, size: Self.bufferSize, pos: 0)
            let remaining = ZSTD_compressStream2(context, &sink, &source, end ? ZSTD_e_end : ZSTD_e_continue)
            if ZSTD_isError(remaining) != 0 {
                throw ArchiveError(.io, "cannot compress \(shownPath): zstd failed: \(String(cString: ZSTD_getErrorName(remaining)))")
            }
            try emit(UnsafeRawBufferPointer(start: compressBuffer, count: sink.pos))
            emitted += UInt64(sink.pos)
            if end ? remaining == 0 : source.pos == source.size { return emitted }
        }
    }

    /// Raw Deflate (no zlib header), as zip's method 8 stores it.
    static func deflate(_ data: [UInt8], name: [UInt8]) throws(ArchiveError) -> [UInt8] {
        var stream = z_stream()
        guard czlib_deflate_init_raw(&stream, Z_DEFAULT_COMPRESSION) == Z_OK else {
            throw ArchiveError(.io, "cannot deflate entry \(PathBytesSyntax.display(name)): zlib could not start")
        }
        defer { deflateEnd(&stream) }
        var input = data
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(data.count))) + 16)
        let status = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = uInt(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = uInt(outBuffer.count)
                return CZlib.deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else {
            throw ArchiveError(.io, "cannot deflate entry \(PathBytesSyntax.display(name)): zlib status \(status)")
        }
        return Array(output.prefix(Int(stream.total_out)))
    }

    private func emit(_ bytes: [UInt8]) throws(ArchiveError) {
        guard !bytes.isEmpty else { return }
        hasher.update(data: bytes)
        offset += UInt64(bytes.count)
        pending.append(contentsOf: bytes)
        if pending.count >= Self.bufferSize { try flush() }
    }

    private func emit(_ bytes: UnsafeRawBufferPointer) throws(ArchiveError) {
        guard bytes.count > 0 else { return }
        hasher.update(bufferPointer: bytes)
        offset += UInt64(bytes.count)
        pending.append(contentsOf: bytes)
        if pending.count >= Self.bufferSize { try flush() }
    }

    private func flush() throws(ArchiveError) {
        let code = pending.withUnsafeBytes { POSIX.writeAll(fd, $0) }
        guard code == 0 else { throw ArchiveError(.io, "cannot write archive \(path): \(POSIX.errorText(code))") }
        pending.removeAll(keepingCapacity: true)
    }
}

/// CRC-32 as zip defines it (zlib's crc32).
struct ZipCRC {
    private(set) var value: UInt32 = 0

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        var offset = 0
        while offset < bytes.count {
            let chunk = min(bytes.count - offset, Int(UInt32.max >> 1))
            value = UInt32(crc32(uLong(value), base.advanced(by: offset).assumingMemoryBound(to: Bytef.self), uInt(chunk)))
            offset += chunk
        }
    }

    static func of(_ bytes: [UInt8]) -> UInt32 {
        var crc = ZipCRC()
        bytes.withUnsafeBytes { crc.update($0) }
        return crc.value
    }
}
