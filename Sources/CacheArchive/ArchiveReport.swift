/// What a write or an extraction did, including the digest the caller needs
/// to address (after writing) or verify (after extracting) the archive.
public struct ArchiveReport: Sendable, Hashable {
    /// Lowercase hex SHA-256 of every byte of the compressed archive file.
    public var sha256: String
    /// Size of the compressed archive file.
    public var compressedBytes: Int64
    /// Sum of the sizes of the regular files stored or extracted (hard links
    /// to them are not counted twice).
    public var contentBytes: Int64
    public var files: Int
    public var directories: Int
    public var symlinks: Int
    public var hardlinks: Int
    /// Things that were skipped but did not stop the work, one line each:
    /// device nodes, FIFOs and sockets, entries of members nobody asked for,
    /// files that changed while they were read.
    public var warnings: [String]
    /// Members asked for that the archive does not hold (their path did not exist when it was
    /// saved): routine, so not a warning; nothing was created for them.
    public var missingMembers: [String]

    public init(
        sha256: String, compressedBytes: Int64, contentBytes: Int64,
        files: Int, directories: Int, symlinks: Int, hardlinks: Int, warnings: [String], missingMembers: [String] = []
    ) {
        self.missingMembers = missingMembers
        self.sha256 = sha256
        self.compressedBytes = compressedBytes
        self.contentBytes = contentBytes
        self.files = files
        self.directories = directories
        self.symlinks = symlinks
        self.hardlinks = hardlinks
        self.warnings = warnings
    }
}

/// A running count, reported a few times a second while an archive is
/// written or extracted, and once more at the end.
public struct ArchiveProgress: Sendable, Hashable {
    /// Entries handled so far (including skipped ones).
    public var entries: Int
    /// Regular-file bytes stored or extracted so far.
    public var contentBytes: Int64
    /// Compressed bytes written or read so far.
    public var compressedBytes: Int64

    public init(entries: Int, contentBytes: Int64, compressedBytes: Int64) {
        self.entries = entries
        self.contentBytes = contentBytes
        self.compressedBytes = compressedBytes
    }
}
