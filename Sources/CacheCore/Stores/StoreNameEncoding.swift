import CacheEncoding
import Crypto

/// Turns keys and scope names into single file or object names that a person can still read:
/// bytes outside `A-Z a-z 0-9 - _ . ~` (and a leading `.`) are percent-encoded. Names too long for a
/// file system become `sha256-<hex>`, and the readable key stays inside the entry document.
enum StoreNameEncoding {
    static let maxLength = 200

    static func encode(_ text: String) -> String {
        let result = percentEncoded(text)
        if result.utf8.count > maxLength || result.isEmpty {
            return "sha256-" + SHA256.hash(data: Array(text.utf8)).hexString
        }
        return result
    }

    /// The readable part alone, without hashing long names: the encoding of a key's prefix is a
    /// prefix of the key's encoding, which is what listing by prefix in an object store needs.
    static func percentEncoded(_ text: String) -> String {
        PercentEncoding.encode(text) { offset, byte in PercentEncoding.isUnreserved(byte) && !(byte == 0x2E && offset == 0) }
    }

    /// nil for hashed names, whose key must be read from the entry itself.
    static func decode(_ name: String) -> String? {
        if name.hasPrefix("sha256-") { return nil }
        var bytes: [UInt8] = []
        var iterator = Array(name.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == 0x25 {
                guard let high = iterator.next(), let low = iterator.next(),
                      let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) else { return nil }
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
