import CArchive
import Crypto

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The source libarchive reads the compressed archive from: every byte it is
/// handed is hashed on the way, and whatever follows the tar end is read and
/// hashed too, so the digest covers the whole file exactly once and the
/// caller can compare it with the expected one.
final class HashingFileInput {
    static let blockSize = 1 << 20

    let fd: Int32
    let path: String
    private var hasher = SHA256()
    private let buffer = UnsafeMutableRawPointer.allocate(byteCount: HashingFileInput.blockSize, alignment: 64)
    private(set) var bytesRead: Int64 = 0
    /// The errno of a failed read: libarchive's message for a failing read callback does not say why.
    private(set) var failure: Int32?

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { buffer.deallocate() }

    /// Reads and hashes the next block; returns its size, 0 at EOF, -1 on error.
    func nextBlock() -> Int {
        let got = POSIX.readSome(fd, buffer, Self.blockSize)
        guard got >= 0 else {
            failure = Int32(-got)
            return -1
        }
        hasher.update(bufferPointer: UnsafeRawBufferPointer(start: buffer, count: got))
        bytesRead += Int64(got)
        return got
    }

    /// Hashes the rest of the file (padding, trailing garbage) after libarchive
    /// has seen the end of the tar stream.
    func drainToEnd() throws(ArchiveError) {
        while true {
            let got = nextBlock()
            if got == 0 { return }
            if got < 0 {
                throw ArchiveError(.io, "cannot read \(path): \(POSIX.errorText(failure ?? EIO))")
            }
        }
    }

    func finalizeDigest() -> String {
        hasher.finalize().hexString
    }

    /// Registers this object as the input of `archive` (a libarchive reader).
    /// The caller keeps `self` alive until the archive is freed.
    func open(on archive: OpaquePointer) -> Int32 {
        archive_read_open(
            archive, Unmanaged.passUnretained(self).toOpaque(), nil,
            { _, client, blockOut in
                let input = Unmanaged<HashingFileInput>.fromOpaque(client!).takeUnretainedValue()
                let size = input.nextBlock()
                blockOut?.pointee = UnsafeRawPointer(input.buffer)
                return size
            },
            nil)
    }
}
