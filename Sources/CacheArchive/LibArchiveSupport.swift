import CArchive

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The entry type bits of `archive_entry_filetype`. libarchive defines them
/// as cast macros (`AE_IFREG` ...) that Swift cannot import.
enum EntryType {
    static let mask: mode_t = 0o170000
    static let regular: mode_t = 0o100000
    static let directory: mode_t = 0o040000
    static let symlink: mode_t = 0o120000
    static let fifo: mode_t = 0o010000
    static let characterDevice: mode_t = 0o020000
    static let blockDevice: mode_t = 0o060000
    static let socket: mode_t = 0o140000

    /// Words for the kinds we skip, used in warnings.
    static func describe(_ type: mode_t) -> String {
        switch type & mask {
        case fifo: return "FIFO"
        case characterDevice: return "character device"
        case blockDevice: return "block device"
        case socket: return "socket"
        case 0: return "entry of unknown type"
        default: return "entry of type 0o\(String(type, radix: 8))"
        }
    }
}

enum LibArchive {
    /// libarchive's last message for `archive`, or a stand-in when it has none.
    /// libarchive's message, with the system's reason when it has one: "Write to restore size
    /// failed" alone does not tell a full disk from a file size limit.
    static func message(_ archive: OpaquePointer) -> String {
        let text = archive_error_string(archive).map { String(cString: $0) } ?? "libarchive reported an error without a message"
        let code = archive_errno(archive)
        guard code > 0 else { return text }
        let reason = POSIX.errorText(code)
        return text.contains(reason) ? text : "\(text) (\(reason))"
    }
}

/// Calls the progress callback at most every `interval`, so that a tree of a
/// million small files does not spend its time in the callback.
final class ProgressThrottle {
    private let callback: (@Sendable (ArchiveProgress) -> Void)?
    private let isCancelled: @Sendable () -> Bool
    private let intervalNanoseconds: UInt64 = 200_000_000
    private var lastReport: UInt64 = 0

    init(_ callback: (@Sendable (ArchiveProgress) -> Void)?, isCancelled: @escaping @Sendable () -> Bool = { false }) {
        self.callback = callback
        self.isCancelled = isCancelled
    }

    /// Called after every entry and data block: reports progress now and then, and stops the work
    /// at once when the caller was cancelled (a cancelled job must not wait for a 2 GB archive).
    func tick(_ progress: @autoclosure () -> ArchiveProgress) throws(ArchiveError) {
        if isCancelled() {
            throw ArchiveError(.cancelled, "cancelled; the partial work was removed")
        }
        guard let callback else { return }
        let now = Self.monotonicNanoseconds()
        guard now &- lastReport >= intervalNanoseconds else { return }
        lastReport = now
        callback(progress())
    }

    func finish(_ progress: ArchiveProgress) {
        callback?(progress)
    }

    private static func monotonicNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }
}
