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

extension Retrier {
    /// The default answer to "can another try help?".
    ///
    /// Only errors known to pass are retried; anything unknown breaks at once,
    /// because retrying a bad config, a full disk or a denied permission only
    /// delays the report of a failure that needs a person to fix it.
    ///
    /// - `RetryableError`: its own flag.
    /// - `CancellationError`: never; the job is being stopped.
    /// - POSIX errors of a flaky network or file system (interrupted, would
    ///   block, stale NFS handle, timed out, connection reset/refused/aborted,
    ///   broken pipe, host or network unreachable, network down), as
    ///   `POSIXError`, as an `NSError` in `NSPOSIXErrorDomain`, or underneath
    ///   a `CocoaError` (`NSUnderlyingErrorKey`): retried.
    /// - Everything else: not retried.
    public static func isRetryable(_ error: any Error) -> Bool {
        if let error = error as? any RetryableError {
            return error.isRetryable
        }
        if error is CancellationError {
            return false
        }
        if let code = posixCode(of: error) {
            return transientPOSIXCodes.contains(code)
        }
        return false
    }

    /// Codes that describe a moment, not a state: the same call may well
    /// succeed a second later.
    static let transientPOSIXCodes: Set<POSIXErrorCode> = [
        .EINTR, .EAGAIN, .EWOULDBLOCK, .ESTALE, .ETIMEDOUT,
        .ECONNRESET, .ECONNREFUSED, .ECONNABORTED, .EPIPE,
        .EHOSTUNREACH, .ENETUNREACH, .ENETDOWN,
    ]

    /// The POSIX code an error carries, looking one level under a Cocoa error.
    static func posixCode(of error: any Error) -> POSIXErrorCode? {
        if let posix = error as? POSIXError {
            return posix.code
        }
        if let cocoa = error as? CocoaError, let underlying = cocoa.underlying {
            if let posix = underlying as? POSIXError { return posix.code }
            return nsPOSIXCode(of: underlying)
        }
        return nsPOSIXCode(of: error)
    }

    /// An `NSError` in `NSPOSIXErrorDomain`: what full Foundation throws. The
    /// Linux build links only FoundationEssentials, whose errors are
    /// `POSIXError` / `CocoaError` values, so there is no `NSError` to look at.
    private static func nsPOSIXCode(of error: any Error) -> POSIXErrorCode? {
        #if canImport(FoundationEssentials)
        return nil
        #else
        // `as Any` first: a plain Swift error gives nil here (as it should).
        guard let nsError = (error as Any) as? NSError, nsError.domain == NSPOSIXErrorDomain else { return nil }
        return Int32(exactly: nsError.code).flatMap(POSIXErrorCode.init(rawValue:))
        #endif
    }
}
