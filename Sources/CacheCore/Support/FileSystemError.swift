import CacheRetry
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed file operation: the path and the POSIX code.
public struct FileSystemError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let code: POSIXErrorCode

    public var description: String { "\(path): \(String(cString: strerror(code.rawValue)))" }
}

extension FileSystemError {
    /// The current errno as a Swift error that names the file; the retrier reads its code to tell
    /// passing faults (EINTR, ESTALE) from final ones (EACCES, ENOSPC).
    static func current(path: String, fallback: Int32 = EIO) -> FileSystemError {
        let code = errno == 0 ? fallback : errno
        return FileSystemError(path: path, code: POSIXErrorCode(rawValue: code) ?? .EIO)
    }
}

extension FileSystemError: RetryableError {
    /// Only faults that can pass on their own: an interrupted call, a busy resource, a stale handle
    /// on a network mount. Permission, space and missing files stay broken however often we try.
    public var isRetryable: Bool { [.EINTR, .EAGAIN, .ESTALE, .ETIMEDOUT].contains(code) }
}
