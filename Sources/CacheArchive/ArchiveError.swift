/// Why writing or extracting an archive failed.
///
/// `kind` lets the caller tell a hostile or broken archive (treat the cache
/// entry as poisoned or corrupt) from a local problem (disk full, bad paths).
public struct ArchiveError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The request itself is wrong: bad member names, relative paths,
        /// a destination that already exists, an output file that exists.
        case invalidRequest
        /// The file system or libarchive failed while reading or writing.
        case io
        /// The archive is not a readable tar/zstd stream.
        case malformedArchive
        /// An entry would write outside its destination (absolute name, `..`,
        /// escaping symlink or hard link). The archive must not be trusted.
        case unsafeEntry
        /// A symlink leads out of its cache path and the cache sets
        /// `symlinks: inside`: not hostile, but not wanted either.
        case symlinkPolicy
        /// The archive holds more entries or bytes than the extraction limits allow.
        case limitExceeded
        /// The caller cancelled the work (the job was cancelled); nothing partial is left.
        case cancelled
    }

    public let kind: Kind
    /// A full sentence: what is wrong, where, and what to do about it.
    public let message: String

    /// For a refused archive: the sha256 of the whole archive file, read to
    /// its end after the refusal, so the caller can tell a blob that is
    /// exactly what a save stored (a bug of the writer) from a damaged one.
    public var archiveSHA256: String?

    public init(_ kind: Kind, _ message: String, archiveSHA256: String? = nil) {
        self.kind = kind
        self.message = message
        self.archiveSHA256 = archiveSHA256
    }

    public var description: String { message }
}
