#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The entries of a zip file, read through its central directory (the only authoritative
/// list), each checked against its local header before its data may be read.
///
/// The file is hostile until proven otherwise: every offset and size is bounds-checked, the
/// end record must end the file, entries may not overlap one another or the central directory
/// (overlapping entries are how "zip bombs" multiply one compressed stream), names may not
/// repeat, and encrypted or split archives are refused.
struct ZipCentralDirectory {
    typealias Entry = ZipEntryRecord

    let entries: [Entry]

    /// Reads and checks the directory of the zip open at `fd` (`size` bytes long).
    init(fd: Int32, size: UInt64, path: String, maxEntries: Int) throws(ArchiveError) {
        func malformed(_ why: String) -> ArchiveError {
            ArchiveError(.malformedArchive, "archive \(path) is not a readable zip archive (\(why)); it is corrupt, truncated or hostile and was not used")
        }
        let end = try Self.findEnd(fd: fd, size: size, path: path, malformed: malformed)
        guard end.count <= UInt64(maxEntries) else {
            throw ArchiveError(.limitExceeded, "archive \(path) holds \(end.count) entries, more than \(maxEntries), the extraction limit; it was not used (a file-count bomb, or raise the limit)")
        }
        guard end.directoryOffset <= end.start, end.directorySize <= end.start - end.directoryOffset else {
            throw malformed("the central directory lies outside the file")
        }
        let directory = try Self.read(fd: fd, at: end.directoryOffset, count: Int(end.directorySize), path: path)
        var reader = ZipFieldReader(directory[...])
        var entries: [Entry] = []
        entries.reserveCapacity(Int(end.count))
        for _ in 0..<end.count {
            guard reader.u32() == ZipFormat.centralHeaderSignature,
                  let madeBy = reader.u16(), reader.u16() != nil, let flags = reader.u16(), let methodCode = reader.u16(),
                  reader.u32() != nil, let crc = reader.u32(), let compressed32 = reader.u32(), let size32 = reader.u32(),
                  let nameLength = reader.u16(), let extraLength = reader.u16(), let commentLength = reader.u16(),
                  let disk = reader.u16(), reader.u16() != nil, let external = reader.u32(), let offset32 = reader.u32(),
                  let name = reader.take(Int(nameLength)), let extra = reader.take(Int(extraLength)),
                  reader.take(Int(commentLength)) != nil
            else { throw malformed("central directory entry \(entries.count + 1) is cut short or has a bad signature") }
            let shown = "'\(PathBytesSyntax.display(Array(name)))'"
            guard let method = ZipFormat.Method(rawValue: methodCode) else {
                throw malformed("entry \(shown) uses compression method \(methodCode); only store, deflate and zstd (93) are read")
            }
            guard flags & ZipFormat.flagEncrypted == 0 else { throw malformed("entry \(shown) is encrypted") }
            var entry = Entry(
                name: Array(name), flags: flags, method: method, crc: crc, compressedSize: UInt64(compressed32),
                size: UInt64(size32), localHeaderOffset: UInt64(offset32), externalAttributes: external, host: madeBy >> 8)
            var diskNumber = UInt32(disk)
            try Self.applyZip64(extra, to: &entry, disk: &diskNumber, shown: shown, malformed: malformed)
            guard diskNumber == 0 else { throw malformed("entry \(shown) lives on another disk of a split archive") }
            entries.append(entry)
        }
        guard reader.remaining == 0 else { throw malformed("the central directory holds more than the \(end.count) entries its end record counts") }
        try Self.checkLocalHeaders(&entries, fd: fd, directoryStart: end.directoryOffset, path: path, malformed: malformed)
        self.entries = entries
    }

    // MARK: end of central directory

    private struct End {
        var count: UInt64
        var directorySize: UInt64
        var directoryOffset: UInt64
        /// Where the end records start: nothing of the entries or the directory may reach it.
        var start: UInt64
    }

    private static func findEnd(fd: Int32, size: UInt64, path: String, malformed: (String) -> ArchiveError) throws(ArchiveError) -> End {
        guard size >= UInt64(ZipFormat.endOfCentralDirectorySize) else { throw malformed("it is too short to be a zip file") }
        // The end record is 22 bytes plus a comment of at most 65535 bytes.
        let tailLength = min(size, UInt64(ZipFormat.endOfCentralDirectorySize + 0xFFFF))
        let tail = try read(fd: fd, at: size - tailLength, count: Int(tailLength), path: path)
        var position = tail.count - ZipFormat.endOfCentralDirectorySize
        while position >= 0 {
            var reader = ZipFieldReader(tail[position...])
            if reader.u32() == ZipFormat.endOfCentralDirectorySignature,
               let disk = reader.u16(), let directoryDisk = reader.u16(), let onDisk = reader.u16(), let count = reader.u16(),
               let directorySize = reader.u32(), let directoryOffset = reader.u32(), let commentLength = reader.u16(),
               Int(commentLength) == reader.remaining {
                guard disk == 0, directoryDisk == 0, onDisk == count else { throw malformed("it is split over several disks") }
                let start = size - tailLength + UInt64(position)
                var end = End(count: UInt64(count), directorySize: UInt64(directorySize), directoryOffset: UInt64(directoryOffset), start: start)
                if count == ZipFormat.zip64Marker16 || directorySize == ZipFormat.zip64Marker32 || directoryOffset == ZipFormat.zip64Marker32 {
                    end = try zip64End(fd: fd, endStart: start, path: path, malformed: malformed)
                }
                return end
            }
            position -= 1
        }
        throw malformed("no end of central directory record at the end of the file")
    }

    private static func zip64End(fd: Int32, endStart: UInt64, path: String, malformed: (String) -> ArchiveError) throws(ArchiveError) -> End {
        guard endStart >= UInt64(ZipFormat.zip64LocatorSize) else { throw malformed("the zip64 end locator is missing") }
        let locatorBytes = try read(fd: fd, at: endStart - UInt64(ZipFormat.zip64LocatorSize), count: ZipFormat.zip64LocatorSize, path: path)
        var locator = ZipFieldReader(locatorBytes[...])
        guard locator.u32() == ZipFormat.zip64LocatorSignature, locator.u32() == 0, let recordOffset = locator.u64(), locator.u32() == 1,
              recordOffset <= endStart - UInt64(ZipFormat.zip64LocatorSize) - UInt64(ZipFormat.zip64EndSize)
        else { throw malformed("the zip64 end locator is missing or damaged") }
        let recordBytes = try read(fd: fd, at: recordOffset, count: ZipFormat.zip64EndSize, path: path)
        var record = ZipFieldReader(recordBytes[...])
        guard record.u32() == ZipFormat.zip64EndSignature, record.u64() != nil, record.u16() != nil, record.u16() != nil,
              record.u32() == 0, record.u32() == 0, let onDisk = record.u64(), let count = record.u64(), onDisk == count,
              let directorySize = record.u64(), let directoryOffset = record.u64()
        else { throw malformed("the zip64 end record is damaged or names another disk") }
        return End(count: count, directorySize: directorySize, directoryOffset: directoryOffset, start: recordOffset)
    }

    /// Replaces the 32-bit fields that hold 0xFFFFFFFF (and the disk that holds 0xFFFF) with
    /// their values from the zip64 extra field, in APPNOTE's order.
    private static func applyZip64(_ extra: ArraySlice<UInt8>, to entry: inout Entry, disk: inout UInt32, shown: String,
                                   malformed: (String) -> ArchiveError) throws(ArchiveError) {
        let marker = UInt64(ZipFormat.zip64Marker32)
        let needed = entry.size == marker || entry.compressedSize == marker || entry.localHeaderOffset == marker || disk == 0xFFFF
        guard needed else { return }
        var fields = ZipFieldReader(extra)
        while fields.remaining >= 4 {
            guard let tag = fields.u16(), let length = fields.u16(), let body = fields.take(Int(length)) else { break }
            guard tag == ZipFormat.zip64ExtraTag else { continue }
            var values = ZipFieldReader(body)
            if entry.size == marker { guard let v = values.u64() else { break }; entry.size = v }
            if entry.compressedSize == marker { guard let v = values.u64() else { break }; entry.compressedSize = v }
            if entry.localHeaderOffset == marker { guard let v = values.u64() else { break }; entry.localHeaderOffset = v }
            if disk == 0xFFFF { guard let v = values.u32() else { break }; disk = v }
            return
        }
        throw malformed("entry \(shown) needs a zip64 extra field that is missing or too short")
    }

    // MARK: local headers

    /// Each local header must sit where the directory says, name the same entry with the same
    /// method, and (unless sizes follow in a data descriptor) the same CRC and sizes; the data
    /// must end before the next entry and the central directory.
    private static func checkLocalHeaders(_ entries: inout [Entry], fd: Int32, directoryStart: UInt64, path: String,
                                          malformed: (String) -> ArchiveError) throws(ArchiveError) {
        var seenNames: Set<[UInt8]> = []
        for index in entries.indices {
            let entry = entries[index]
            let shown = "'\(PathBytesSyntax.display(entry.name))'"
            guard seenNames.insert(entry.name).inserted else {
                throw ArchiveError(.unsafeEntry, "archive \(path) names entry \(shown) twice; which one wins would depend on the tool, so the archive is treated as hostile and was not used")
            }
            guard entry.localHeaderOffset <= directoryStart,
                  directoryStart - entry.localHeaderOffset >= UInt64(ZipFormat.localHeaderSize) else {
                throw malformed("entry \(shown) has its local header outside the entry area")
            }
            let headerBytes = try read(fd: fd, at: entry.localHeaderOffset, count: ZipFormat.localHeaderSize, path: path)
            var header = ZipFieldReader(headerBytes[...])
            guard header.u32() == ZipFormat.localHeaderSignature, header.u16() != nil, let flags = header.u16(), let method = header.u16(),
                  header.u32() != nil, let crc = header.u32(), let compressed = header.u32(), let size = header.u32(),
                  let nameLength = header.u16(), let extraLength = header.u16()
            else { throw malformed("entry \(shown) has no local header where the central directory points") }
            let dataOffset = entry.localHeaderOffset + UInt64(ZipFormat.localHeaderSize) + UInt64(nameLength) + UInt64(extraLength)
            guard dataOffset <= directoryStart, entry.compressedSize <= directoryStart - dataOffset else {
                throw malformed("entry \(shown) has data that runs into the central directory or past the end of the file")
            }
            let localName = try read(fd: fd, at: entry.localHeaderOffset + UInt64(ZipFormat.localHeaderSize), count: Int(nameLength), path: path)
            guard localName == entry.name else {
                throw ArchiveError(.unsafeEntry, "archive \(path) has an entry named \(shown) in its central directory but '\(PathBytesSyntax.display(localName))' in its local header; tools would disagree on what it holds, so it was not used")
            }
            guard method == entry.method.rawValue, flags & ZipFormat.flagDataDescriptor == entry.flags & ZipFormat.flagDataDescriptor else {
                throw malformed("entry \(shown) has a local header whose method or flags differ from the central directory")
            }
            let marker = ZipFormat.zip64Marker32
            let sizesAgree = (crc == entry.crc || crc == 0 && flags & ZipFormat.flagDataDescriptor != 0)
                && (compressed == marker || UInt64(compressed) == entry.compressedSize || compressed == 0 && flags & ZipFormat.flagDataDescriptor != 0)
                && (size == marker || UInt64(size) == entry.size || size == 0 && flags & ZipFormat.flagDataDescriptor != 0)
            guard sizesAgree else {
                throw malformed("entry \(shown) has a local header whose CRC or sizes differ from the central directory")
            }
            entries[index].dataOffset = dataOffset
        }
        // No two entries may share bytes.
        let spans = entries.map { (start: $0.localHeaderOffset, end: $0.dataOffset + $0.compressedSize, name: $0.name) }
            .sorted { $0.start < $1.start }
        for (previous, next) in zip(spans, spans.dropFirst()) where previous.end > next.start {
            throw ArchiveError(.unsafeEntry, "archive \(path) has entries '\(PathBytesSyntax.display(previous.name))' and '\(PathBytesSyntax.display(next.name))' whose data overlap (a zip bomb technique); it was not used")
        }
    }

    // MARK: reading

    static func read(fd: Int32, at offset: UInt64, count: Int, path: String) throws(ArchiveError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = bytes.withUnsafeMutableBytes { raw in
                pread(fd, raw.baseAddress! + done, count - done, off_t(offset) + off_t(done))
            }
            if got < 0 && errno == EINTR { continue }
            guard got >= 0 else { throw ArchiveError(.io, "cannot read archive \(path): \(POSIX.errorText(errno))") }
            guard got > 0 else {
                throw ArchiveError(.malformedArchive, "archive \(path) ends in the middle of a zip structure; it is truncated and was not used")
            }
            done += got
        }
        return bytes
    }
}
