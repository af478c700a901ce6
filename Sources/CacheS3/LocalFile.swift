import CacheEncoding
import Crypto
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// A file opened once for a whole transfer and closed when the last part is done with it: the
/// parts of an upload read it, and the ranges of a download write it, at their own offsets
/// (`pread`/`pwrite`), so no two tasks share a file position.
final class OpenFile: Sendable {
    let descriptor: Int32
    let path: String

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    static func forReading(_ path: String) throws(LocalFileError) -> OpenFile {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw LocalFileError(path: path, action: "open", code: errno) }
        return OpenFile(descriptor: descriptor, path: path)
    }

    /// Creates `path`, which must not exist yet (a fresh temporary name).
    static func creating(_ path: String) throws(LocalFileError) -> OpenFile {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw LocalFileError(path: path, action: "create", code: errno) }
        return OpenFile(descriptor: descriptor, path: path)
    }

    deinit { close(descriptor) }

    func size() throws(LocalFileError) -> Int64 {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw LocalFileError(path: path, action: "stat", code: errno) }
        return Int64(info.st_size)
    }

    /// Reads exactly `count` bytes at `offset` into `buffer`; a file that shrank is an error.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(LocalFileError) {
        var done = 0
        while done < buffer.count {
            let got = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            if got < 0 {
                if errno == EINTR { continue }
                throw LocalFileError(path: path, action: "read", code: errno)
            }
            if got == 0 { throw LocalFileError(path: path, action: "read", code: nil, detail: "it ended early (did it change while uploading?)") }
            done += got
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(LocalFileError) {
        var done = 0
        while done < bytes.count {
            let wrote = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            if wrote < 0 {
                if errno == EINTR { continue }
                throw LocalFileError(path: path, action: "write", code: errno)
            }
            done += wrote
        }
    }

    /// sha256 of a range, for the `x-amz-content-sha256` of a part: S3 then rejects a part that
    /// arrives different from what we read.
    func sha256(offset: Int64, length: Int64) throws(LocalFileError) -> String {
        var hasher = SHA256()
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var position: Int64 = 0
        while position < length {
            let count = Int(Swift.min(Int64(chunk), length - position))
            let slice = UnsafeMutableRawBufferPointer(rebasing: buffer[0 ..< count])
            try read(into: slice, at: offset + position)
            hasher.update(bufferPointer: UnsafeRawBufferPointer(slice))
            position += Int64(count)
        }
        return hasher.finalize().hexString
    }
}

/// A range of an open file as a request body, read in chunks as the connection takes them; each
/// iteration starts over from the range's start, so a retried request sends it whole again.
struct FileRange: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let file: OpenFile
    let offset: Int64
    let length: Int64
    static let chunkSize = 256 * 1024

    struct AsyncIterator: AsyncIteratorProtocol {
        let file: OpenFile
        var position: Int64
        let end: Int64

        mutating func next() async throws -> ByteBuffer? {
            guard position < end else { return nil }
            try Task.checkCancellation()
            let count = Int(Swift.min(Int64(FileRange.chunkSize), end - position))
            var buffer = ByteBufferAllocator().buffer(capacity: count)
            let start = position
            let file = self.file
            try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { raw in
                try file.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[0 ..< count]), at: start)
                return count
            }
            position += Int64(count)
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(file: file, position: offset, end: offset + length)
    }
}

/// A local file that could not be read or written: never retried (a retry reads the same file).
public struct LocalFileError: Error, Sendable, CustomStringConvertible, LocalizedError {
    public let path: String
    public let action: String
    public let code: Int32?
    public var detail: String?

    init(path: String, action: String, code: Int32?, detail: String? = nil) {
        self.path = path
        self.action = action
        self.code = code
        self.detail = detail
    }

    public var description: String {
        let reason = detail ?? code.map { String(cString: strerror($0)) } ?? "unknown error"
        return "could not \(action) \(path): \(reason)"
    }

    public var errorDescription: String? { description }
}

enum SHA256Hex {
    static func of(_ bytes: [UInt8]) -> String { SHA256.hash(data: bytes).hexString }
}
