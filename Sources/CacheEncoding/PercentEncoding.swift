/// Percent-encoding with RFC 3986's unreserved set: `A-Z a-z 0-9 - _ . ~` stay as they are, every
/// other byte of the UTF-8 becomes `%XX`. Not Foundation's `addingPercentEncoding`, whose allowed
/// sets keep characters (`+`, `=`, `/`) that a signature, a file name or a redaction must not keep.
///
/// The users differ only in what else stays or goes, which they say with `keeps`: an S3 object
/// path keeps `/` between its segments, a store name encodes a leading `.` (so no name is hidden
/// or `..`), and the redactor asks for lowercase hex too because a server may echo either case.
public enum PercentEncoding {
    public static func isUnreserved(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
            || byte == 0x2D || byte == 0x5F || byte == 0x2E || byte == 0x7E
    }

    /// - Parameters:
    ///   - lowercaseHex: `%2f` instead of the usual `%2F`.
    ///   - keeps: whether the byte at this offset of the UTF-8 stays as it is; the unreserved ones
    ///     unless told otherwise.
    public static func encode(_ text: String, lowercaseHex: Bool = false,
                              keeps: (_ offset: Int, _ byte: UInt8) -> Bool = { isUnreserved($1) }) -> String {
        let digits = Array((lowercaseHex ? "0123456789abcdef" : "0123456789ABCDEF").utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for (offset, byte) in text.utf8.enumerated() {
            if keeps(offset, byte) {
                bytes.append(byte)
            } else {
                bytes.append(0x25)
                bytes.append(digits[Int(byte >> 4)])
                bytes.append(digits[Int(byte & 0xF)])
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
