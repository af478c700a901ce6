/// The percent-encoding SigV4 asks for, which is not what `addingPercentEncoding` does: only
/// `A-Z a-z 0-9 - _ . ~` stay as they are, every other byte of the UTF-8 becomes `%XX` (uppercase),
/// a space is `%20` (never `+`). The path of a request and its signature must agree byte for byte,
/// so the same function builds both.
enum URIEncoding {
    static func isUnreserved(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
            || byte == 0x2D || byte == 0x5F || byte == 0x2E || byte == 0x7E
    }

    /// For a query name or value: `/` is encoded too.
    static func encode(_ text: String) -> String {
        encode(text, keepingSlash: false)
    }

    /// For an object key in a path: `/` separates segments and stays.
    static func encodePath(_ text: String) -> String {
        encode(text, keepingSlash: true)
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    private static func encode(_ text: String, keepingSlash: Bool) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if isUnreserved(byte) || (keepingSlash && byte == 0x2F) {
                bytes.append(byte)
            } else {
                bytes.append(0x25)
                bytes.append(hexDigits[Int(byte >> 4)])
                bytes.append(hexDigits[Int(byte & 0xF)])
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension Sequence where Element == UInt8 {
    /// Lowercase hex, as SigV4 and S3's sha256 headers write digests.
    var lowercaseHex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
