/// The parts of the ZIP format (PKWARE APPNOTE 6.3) that the agent's cache archives use:
/// local headers, data descriptors, the central directory, zip64 where a size or an offset
/// does not fit in 32 bits, and the extended-timestamp extra field.
///
/// We write zip ourselves because libarchive 3.6 (Debian 12) cannot: its zip writer offers only
/// store and deflate (`compression=zstd` is refused), not zstd (method 93). Its reader does
/// decode method 93, but we read with this same code: the checks a restore needs (local
/// headers against the central directory, overlapping and repeated entries, sizes before any
/// byte is written) are checks of these structures.
enum ZipFormat {
    static let localHeaderSignature: UInt32 = 0x0403_4b50
    static let centralHeaderSignature: UInt32 = 0x0201_4b50
    static let dataDescriptorSignature: UInt32 = 0x0807_4b50
    static let endOfCentralDirectorySignature: UInt32 = 0x0605_4b50
    static let zip64EndSignature: UInt32 = 0x0606_4b50
    static let zip64LocatorSignature: UInt32 = 0x0706_4b50

    static let localHeaderSize = 30
    static let centralHeaderSize = 46
    static let endOfCentralDirectorySize = 22
    static let zip64EndSize = 56
    static let zip64LocatorSize = 20

    /// General-purpose flag bits.
    static let flagEncrypted: UInt16 = 1 << 0
    static let flagDataDescriptor: UInt16 = 1 << 3
    static let flagUTF8: UInt16 = 1 << 11

    /// Extra field tags.
    static let zip64ExtraTag: UInt16 = 0x0001
    static let extendedTimestampTag: UInt16 = 0x5455

    /// "Made by" host in the high byte of the version field: 3 is UNIX, whose external
    /// attributes carry the mode in their upper 16 bits.
    static let unixHost: UInt16 = 3
    /// A DOS attribute bit that marks a directory (tools without UNIX modes look at it).
    static let msdosDirectory: UInt32 = 0x10

    /// A 32-bit field holding this value means "see the zip64 extra field".
    static let zip64Marker32: UInt32 = 0xFFFF_FFFF
    static let zip64Marker16: UInt16 = 0xFFFF

    /// The compression methods of the agent's archives.
    enum Method: UInt16, Sendable {
        case store = 0
        case deflate = 8
        case zstd = 93

        /// The "version needed to extract" APPNOTE gives for each (zip64 needs 4.5 as well).
        var versionNeeded: UInt16 {
            switch self {
            case .store, .deflate: return 20
            case .zstd: return 63
            }
        }
    }

    /// The agent forces every entry's time to 2024-01-01T00:00:00Z, so archives of identical
    /// trees are identical. As MS-DOS date and time (local time by definition; UTC here, as the
    /// agent writes it) and as UNIX seconds for the extended-timestamp field.
    static let fixedUnixTime: UInt32 = 1_704_067_200
    static let fixedDosDate: UInt16 = UInt16((2024 - 1980) << 9 | 1 << 5 | 1)
    static let fixedDosTime: UInt16 = 0
}

/// What the central directory says of one entry: written by `ZipWriter`, read by
/// `ZipCentralDirectory`.
struct ZipEntryRecord {
    var name: [UInt8]
    var flags: UInt16
    var method: ZipFormat.Method
    var crc: UInt32
    var compressedSize: UInt64
    var size: UInt64
    var localHeaderOffset: UInt64
    var externalAttributes: UInt32
    /// The "made by" host; only UNIX (3) external attributes carry a mode.
    var host: UInt16 = ZipFormat.unixHost
    /// Where the entry's data starts (read side: known once its local header was checked).
    var dataOffset: UInt64 = 0

    /// The UNIX mode from the external attributes, or nil when the archive has none.
    var unixMode: UInt32? {
        let mode = externalAttributes >> 16
        return host == ZipFormat.unixHost && mode != 0 ? mode : nil
    }
}

/// Appends little-endian fields to a byte buffer.
struct ZipBytes {
    var bytes: [UInt8] = []

    mutating func u16(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
    }

    mutating func u32(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    mutating func u64(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    mutating func append(_ more: [UInt8]) { bytes += more }
}

/// Reads little-endian fields from a slice of a zip file, failing (nil) instead of trapping
/// when a hostile length points past the end.
struct ZipFieldReader {
    let bytes: ArraySlice<UInt8>
    private(set) var position: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.position = bytes.startIndex
    }

    var remaining: Int { bytes.endIndex - position }

    mutating func u16() -> UInt16? {
        guard remaining >= 2 else { return nil }
        defer { position += 2 }
        return UInt16(bytes[position]) | UInt16(bytes[position + 1]) << 8
    }

    mutating func u32() -> UInt32? {
        guard remaining >= 4 else { return nil }
        var value: UInt32 = 0
        for i in 0..<4 { value |= UInt32(bytes[position + i]) << UInt32(8 * i) }
        position += 4
        return value
    }

    mutating func u64() -> UInt64? {
        guard remaining >= 8 else { return nil }
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(bytes[position + i]) << UInt64(8 * i) }
        position += 8
        return value
    }

    mutating func take(_ count: Int) -> ArraySlice<UInt8>? {
        guard count >= 0, remaining >= count else { return nil }
        defer { position += count }
        return bytes[position..<position + count]
    }
}
