extension Sequence where Element == UInt8 {
    /// Lowercase hex, two digits a byte: how `sha256sum`, S3's checksum headers and SigV4 write a
    /// digest, and so how blobs are named and cache keys spell a checksum. One spelling for all of
    /// them, because a digest written one way and compared another is a miss that looks like a hit.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
