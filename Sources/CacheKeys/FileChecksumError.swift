/// Why a checksum could not be computed. The message names the pattern or file and the directory
/// patterns were resolved against, so the log line alone says what to fix.
public struct FileChecksumError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
