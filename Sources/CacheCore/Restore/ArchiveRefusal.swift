import CacheArchive

/// Why a restore refused an archive, in words that send the reader to the right place.
///
/// The extractor reads a refused archive to its end, so its digest is known. When it is the digest
/// the entry names, the blob is byte for byte what a save of this plugin stored: the save accepted
/// a tree that the restore refuses, which is a bug of the plugin, not of the user's cache or store.
/// Any other digest means the blob was damaged or replaced after it was stored.
enum ArchiveRefusal {
    /// Errors that mean "do not use this archive" (as opposed to a local failure such as a full disk).
    static func isRefusal(_ error: ArchiveError) -> Bool {
        [.unsafeEntry, .malformedArchive, .limitExceeded, .symlinkPolicy].contains(error.kind)
    }

    static func reason(_ error: ArchiveError, entry: CacheEntry) -> String {
        if error.kind == .symlinkPolicy {
            return "refused the archive of '\(entry.key)': \(error.message) (it was saved before that setting; "
                + "the next save stores the tree again, or fails naming the link)"
        }
        switch error.archiveSHA256 {
        case entry.digest?:
            return "refused the archive of '\(entry.key)' although it is byte for byte the blob its entry names "
                + "(sha256 \(entry.digest), saved by job \(entry.job ?? "unknown") on \(entry.platform)). A swift-cache save "
                + "never stores an archive its restore refuses, so this is a bug of the plugin, not of your cache: please "
                + "report it to the plugin's maintainers with this line and the output of `zstd -dc <blob> | tar -tvv` "
                + "for that blob (unless someone other than swift-cache writes entries into this store). "
                + "The refusal: \(error.message)"
        case let digest?:
            return "the blob of '\(entry.key)' is corrupt (sha256 \(digest.prefix(12))…, expected \(entry.digest.prefix(12))…) "
                + "and was refused: \(error.message)"
        case nil:
            return "refused the archive of '\(entry.key)': \(error.message)"
        }
    }
}
