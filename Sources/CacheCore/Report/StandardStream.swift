#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Standard output (the job log) and standard error, written with write(2) in one piece per call.
///
/// Not `FileHandle`: that lives in full Foundation, which the Linux release binary leaves out (it
/// would bring ICU along), and one `write` per log line is what keeps concurrent lines whole.
public enum StandardStream: Int32, Sendable {
    case output = 1
    case error = 2

    /// Writes all of `text`, retrying short writes and EINTR; a closed or broken stream drops it
    /// (the job must not fail because its log went away).
    public func send(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(rawValue, $0.baseAddress, $0.count) }
            if written > 0 {
                bytes = bytes.dropFirst(written)
            } else if written < 0, errno == EINTR {
                continue
            } else {
                return
            }
        }
    }
}
