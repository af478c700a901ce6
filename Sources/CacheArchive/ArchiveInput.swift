#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the bytes of an archive come from: a file, or a download that hands them over in order
/// as they arrive. The extractor does not care which: it reads once, from the first byte to the
/// last, on its decompressing thread, and hashes what it reads.
///
/// `read` may block (a download waits for its next bytes), so it is only ever called from that
/// thread, never from Swift's cooperative pool.
public protocol ArchiveInput: Sendable {
    /// Names the archive in messages: a path, an `s3://` URL. Never contains a secret.
    var name: String { get }

    /// Copies the next bytes into `buffer` and returns how many (at least one, at most
    /// `buffer.count`), blocking until some are there; 0 at the end of the archive.
    /// Throws why the bytes stopped coming (a read error, a download that gave up).
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int

    /// The extraction stopped early (a refused archive, a cancelled job): a `read` blocked on
    /// another thread must return soon, and later ones need not deliver anything. Called from
    /// another thread than `read`.
    func stopReading()
}

/// An input that already holds its bytes in memory (a download's received pieces) and can lend
/// them to the restore's threads instead of copying them out: the reading thread hashes a lent
/// piece and the decompressing thread decodes it where it lies, then gives it back.
public protocol LendingArchiveInput: ArchiveInput {
    /// The next bytes, in order, blocking until some are there; nil at the end of the archive.
    /// They stay valid, and count against the input's memory bound, until given back. Throws as
    /// `read(into:)` does; the two may be mixed, each taking up where the other stopped.
    func lend() throws -> LentBytes?
}

/// Bytes an input lends out: valid until `giveBack` is called, which must happen once, on any
/// thread; a lender that was stopped ignores it.
public struct LentBytes: @unchecked Sendable {
    public let bytes: UnsafeRawBufferPointer
    public let giveBack: @Sendable () -> Void

    public init(bytes: UnsafeRawBufferPointer, giveBack: @escaping @Sendable () -> Void) {
        self.bytes = bytes
        self.giveBack = giveBack
    }
}

/// An archive in a local file. It is opened by the first read, on the extractor's thread, so an
/// extraction checks its request before it touches the file; closed when the input goes.
public final class FileArchiveInput: ArchiveInput, @unchecked Sendable {
    public let name: String
    /// Only the extractor's reading thread opens and reads it.
    private var fd: Int32 = -1

    public init(path: String) {
        name = path
    }

    deinit { if fd >= 0 { close(fd) } }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if fd < 0 {
            fd = open(name, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw FileReadError(action: "open", code: errno) }
        }
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let got = POSIX.readSome(fd, base, buffer.count)
        if got < 0 { throw FileReadError(action: "read", code: Int32(-got)) }
        return got
    }

    /// A read of a local file never waits for long; there is nothing to interrupt.
    public func stopReading() {}
}

/// A failed `open(2)` or `read(2)` of an archive file.
public struct FileReadError: Error, Sendable, CustomStringConvertible {
    public let action: String
    public let code: Int32
    public var description: String { "\(action) failed: \(POSIX.errorText(code))" }
}
