/// Bounds that stop a decompression bomb or a file-count bomb from filling
/// the disk or the inode table of the build machine.
public struct ExtractionLimits: Sendable, Hashable {
    /// Most entries (of any kind, skipped ones included) an archive may hold.
    public var maxEntries: Int = 5_000_000
    /// Most bytes of regular-file content an archive may expand to.
    public var maxContentBytes: Int64 = 256 << 30

    public static let `default` = ExtractionLimits()

    public init(maxEntries: Int = 5_000_000, maxContentBytes: Int64 = 256 << 30) {
        self.maxEntries = maxEntries
        self.maxContentBytes = maxContentBytes
    }
}
