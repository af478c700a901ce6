/// How much a file store may keep: entries older than `maxAge` go, then the oldest entries until
/// the blobs still named fit in `maxSize`.
public struct PruneLimits: Sendable, Equatable {
    public var maxAge: Duration?
    public var maxSize: Int64?

    public init(maxAge: Duration? = nil, maxSize: Int64? = nil) {
        self.maxAge = maxAge
        self.maxSize = maxSize
    }

    /// `30d`, `12h`, `45m`, `90s`.
    public static func parseAge(_ text: String) throws(PruneLimitError) -> Duration {
        let units: [(String, Int64)] = [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)]
        for (suffix, seconds) in units where text.hasSuffix(suffix) {
            if let count = Int64(text.dropLast(suffix.count)), count > 0 { return .seconds(count * seconds) }
        }
        throw PruneLimitError(message: "age '\(text)' must be a whole number with d, h, m or s, e.g. 14d")
    }

    /// `20GiB`, `500MiB`, `1TB`, `750MB`, `4096` (bytes).
    public static func parseSize(_ text: String) throws(PruneLimitError) -> Int64 {
        let units: [(String, Int64)] = [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10),
                                        ("TB", 1_000_000_000_000), ("GB", 1_000_000_000), ("MB", 1_000_000), ("KB", 1_000), ("B", 1)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            if let count = Int64(text.dropLast(suffix.count)), count > 0 { return count * factor }
            break
        }
        if let bytes = Int64(text), bytes > 0 { return bytes }
        throw PruneLimitError(message: "size '\(text)' must be a whole number with TiB, GiB, MiB, KiB, TB, GB, MB, KB or B, e.g. 20GiB")
    }
}

public struct PruneLimitError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
