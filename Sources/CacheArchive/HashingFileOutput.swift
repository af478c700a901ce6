import CacheEncoding
import CArchive
import CSystemCalls
import Crypto

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The sink libarchive writes the tar stream into: it is compressed here, and
/// every compressed chunk goes to the file and into SHA-256 in the same pass,
/// so the digest that names the blob is of exactly the bytes on disk,
/// without reading them back.
final class HashingFileOutput {
    let fd: Int32
    let path: String
    private let compressor: ZstdStreamCompressor
    private var hasher = SHA256()
    /// Compressed bytes written to the file so far.
    private(set) var bytesWritten: Int64 = 0
    /// Where the bytes not yet handed to the kernel's writeback start (see `startWriteback`).
    private var writebackFrom: Int64 = 0
    static let writebackChunk: Int64 = 8 << 20
    /// The errno of a failed write, kept because libarchive's own message for
    /// a failing write callback does not say why.
    private(set) var failure: Int32?
    /// libzstd's error text, for the same reason.
    private(set) var compressionFailure: String?

    private let isCancelled: @Sendable () -> Bool

    init(fd: Int32, path: String, compressor: ZstdStreamCompressor, isCancelled: @escaping @Sendable () -> Bool = { false }) {
        self.fd = fd
        self.path = path
        self.compressor = compressor
        self.isCancelled = isCancelled
    }

    /// Called by libarchive with blocks of the tar stream. Returns the count taken or -1.
    func write(_ tar: UnsafeRawBufferPointer) -> Int {
        guard failure == nil, compressionFailure == nil else { return -1 }
        compressionFailure = compressor.compress(tar, end: false, isCancelled: isCancelled, emit: writeCompressed)
        return failure == nil && compressionFailure == nil ? tar.count : -1
    }

    /// Ends the zstd frame; call after libarchive has closed the tar stream.
    func finish() throws(ArchiveError) {
        if failure == nil, compressionFailure == nil {
            compressionFailure = compressor.compress(UnsafeRawBufferPointer(start: nil, count: 0), end: true,
                                                     isCancelled: isCancelled, emit: writeCompressed)
        }
        if let cancellation { throw cancellation }
        if let failure {
            throw ArchiveError(.io, "cannot finish archive \(path): writing it failed: \(POSIX.errorText(failure))")
        }
        if let compressionFailure {
            throw ArchiveError(.io, "cannot finish archive \(path): zstd compression failed: \(compressionFailure)")
        }
    }

    /// The error for a compression stopped because the job was cancelled (nil if it was not):
    /// libarchive sees only a failed write, which must not be reported as an I/O error.
    var cancellation: ArchiveError? {
        compressionFailure == ZstdStreamCompressor.cancelled
            ? ArchiveError(.cancelled, "cancelled; the partial archive \(path) is removed") : nil
    }

    private func writeCompressed(_ buffer: UnsafeRawBufferPointer) -> Bool {
        let code = POSIX.writeAll(fd, buffer)
        guard code == 0 else {
            failure = code
            return false
        }
        hasher.update(bufferPointer: buffer)
        bytesWritten += Int64(buffer.count)
        if bytesWritten - writebackFrom >= Self.writebackChunk { startWriteback() }
        return true
    }

    /// Starts writing the last chunk to disk now, while compression goes on, so that the fsync
    /// that ends the archive waits for the tail only instead of for the whole file (a save is
    /// durable before its entry is committed; `tar | zstd > file` never waits for the disk).
    /// Best effort: the fsync is what makes the archive durable.
    private func startWriteback() {
        _ = swift_cache_start_writeback(fd, writebackFrom, bytesWritten - writebackFrom)
        writebackFrom = bytesWritten
    }

    func finalizeDigest() -> String {
        hasher.finalize().hexString
    }

    /// Registers this object as the output of `archive` (a libarchive writer).
    /// The caller keeps `self` alive until the archive is freed.
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
