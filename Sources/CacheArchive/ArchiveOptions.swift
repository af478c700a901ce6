#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// How hard and how wide zstd works while writing an archive, and which
/// symlinks it may store.
public struct ArchiveOptions: Sendable, Hashable {
    /// zstd level, 1...22. Level 3 is zstd's own default: most of the gain of
    /// higher levels for a fraction of the CPU, which suits caches that are
    /// written often and read often.
    public var compressionLevel: Int = 3
    /// zstd worker threads; 0 compresses on the calling thread only. At most
    /// four are used, so that a save's memory does not grow with the cores
    /// (`ParallelFrameCompressor.maximumWorkers`).
    public var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    /// With `.inside`, a link whose target leaves its cache path fails the
    /// save: a restore under the same policy would refuse it.
    public var symlinks: SymlinkPolicy = .anywhere

    public init(compressionLevel: Int = 3, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                symlinks: SymlinkPolicy = .anywhere) {
        self.compressionLevel = compressionLevel
        self.threads = threads
        self.symlinks = symlinks
    }
}
