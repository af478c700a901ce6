import CacheRetry
import Foundation
import Testing

@Suite("Default classifier")
struct ClassifierTests {
    static let transientCodes: [POSIXErrorCode] = [
        .EINTR, .EAGAIN, .EWOULDBLOCK, .ESTALE, .ETIMEDOUT, .ECONNRESET, .ECONNREFUSED,
        .ECONNABORTED, .EPIPE, .EHOSTUNREACH, .ENETUNREACH, .ENETDOWN,
    ]
    static let permanentCodes: [POSIXErrorCode] = [.EACCES, .EPERM, .ENOSPC, .ENOENT, .EINVAL, .EROFS, .EISDIR]

    @Test("POSIX errors that can pass are retried", arguments: transientCodes)
    func transientPOSIXErrors(code: POSIXErrorCode) {
        #expect(Retrier.isRetryable(POSIXError(code)))
        #if !canImport(FoundationEssentials)
        #expect(Retrier.isRetryable(NSError(domain: NSPOSIXErrorDomain, code: Int(code.rawValue))))
        #endif
    }

    @Test("POSIX errors that need a person to fix them are not retried", arguments: permanentCodes)
    func permanentPOSIXErrors(code: POSIXErrorCode) {
        #expect(!Retrier.isRetryable(POSIXError(code)))
        #if !canImport(FoundationEssentials)
        #expect(!Retrier.isRetryable(NSError(domain: NSPOSIXErrorDomain, code: Int(code.rawValue))))
        #endif
    }

    #if !canImport(FoundationEssentials)
    @Test("a POSIX-looking code in another domain is not taken for a POSIX error")
    func otherDomainsAreNotPOSIX() {
        #expect(!Retrier.isRetryable(NSError(domain: "S3", code: Int(ECONNRESET))))
    }
    #endif

    @Test("a Cocoa error is judged by the POSIX error underneath it (what FoundationEssentials throws)")
    func cocoaErrorsWithUnderlyingPOSIXError() {
        let timedOut = CocoaError(.fileReadUnknown, userInfo: [NSUnderlyingErrorKey: POSIXError(.ETIMEDOUT)])
        let diskFull = CocoaError(.fileWriteUnknown, userInfo: [NSUnderlyingErrorKey: POSIXError(.ENOSPC)])
        #expect(Retrier.isRetryable(timedOut))
        #expect(!Retrier.isRetryable(diskFull))
        #expect(!Retrier.isRetryable(CocoaError(.fileNoSuchFile)))
    }

    #if !canImport(FoundationEssentials)
    @Test("a Cocoa error is judged by the NSError underneath it (what full Foundation throws)")
    func cocoaErrorsWithUnderlyingNSError() {
        let timedOut = CocoaError(.fileReadUnknown, userInfo: [
            NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(ETIMEDOUT)),
        ])
        let diskFull = CocoaError(.fileWriteUnknown, userInfo: [
            NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(ENOSPC)),
        ])
        #expect(Retrier.isRetryable(timedOut))
        #expect(!Retrier.isRetryable(diskFull))
        #expect(!Retrier.isRetryable(CocoaError(.fileNoSuchFile)))
    }
    #endif

    @Test("RetryableError decides for itself; cancellation and unknown errors are not retried")
    func retryableErrorsCancellationAndUnknowns() {
        #expect(Retrier.isRetryable(TransientError(attempt: 1)))
        #expect(!Retrier.isRetryable(FinalError()))
        #expect(!Retrier.isRetryable(CancellationError()))
        #expect(!Retrier.isRetryable(PlainError()))
    }
}
