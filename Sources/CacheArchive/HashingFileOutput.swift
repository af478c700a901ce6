import Crypto
import CArchive

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The sink libarchive writes the compressed archive into: every block goes
/// to the file and into SHA-256 in the same pass, so the digest that names
/// the blob is of exactly the bytes on disk, without reading them back.
final class HashingFileOutput {
    let fd: Int32
    let path: String
    private var hasher = SHA256()
    private(set) var bytesWritten: Int64 = 0
    /// The errno of a failed write, kept because libarchive's own message for
    /// a failing write callback does not say why.
    private(set) var failure: Int32?

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    /// Called by libarchive with finished blocks. Returns the count written or -1.
    func write(_ buffer: UnsafeRawBufferPointer) -> Int {
        let code = POSIX.writeAll(fd, buffer)
        guard code == 0 else {
            failure = code
            return -1
        }
        hasher.update(bufferPointer: buffer)
        bytesWritten += Int64(buffer.count)
        return buffer.count
    }

    func finalizeDigest() -> String {
        hasher.finalize().hexString
    }

    /// Registers this object as the output of `archive` (a libarchive writer).
    /// The caller keeps `self` alive until the archive is closed.
    func open(on archive: OpaquePointer) -> Int32 {
        archive_write_open(
            archive, Unmanaged.passUnretained(self).toOpaque(), nil,
            { _, client, buffer, length in
                let output = Unmanaged<HashingFileOutput>.fromOpaque(client!).takeUnretainedValue()
                return output.write(UnsafeRawBufferPointer(start: buffer, count: length))
            },
            nil)
    }
}

extension Sequence where Element == UInt8 {
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension SHA256Digest {
    var hexString: String { self.withUnsafeBytes { Array($0) }.hexString }
}
