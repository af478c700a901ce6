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
    /// The error as one readable phrase for a retry log line.
    ///
    /// Foundation's own descriptions of POSIX errors are either
    /// "Error Domain=NSPOSIXErrorDomain Code=104 …" or "The operation could
    /// not be completed. …"; the log wants just the reason and the code.
    public static func describe(_ error: any Error) -> String {
        if let code = posixCode(of: error), !(error is any RetryableError) {
            return "\(String(cString: strerror(code.rawValue))) (errno \(code.rawValue))"
        }
        if let localized = error as? any LocalizedError, let text = localized.errorDescription {
            return text
        }
        #if !canImport(FoundationEssentials)
        if let nsError = (error as Any) as? NSError, nsError.domain == NSCocoaErrorDomain {
            return nsError.localizedDescription
        }
        #endif
        return String(describing: error)
    }
}
