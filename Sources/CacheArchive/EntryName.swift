/// Turns the name an archive entry claims into path components, refusing
/// anything that could address a file outside the extraction root.
///
/// This is our own check, independent of libarchive's SECURE_* flags: we
/// hand libarchive absolute paths (we never chdir, several extractions run at
/// once), so its absolute-path guard cannot be used and the name must be
/// proven harmless before it is rewritten.
enum EntryName {
    /// Components with empty and `.` components dropped (`./a//b/` is `a/b`).
    /// `what` describes the name in messages ("entry", "hard link target of entry 'x'").
    static func components(_ raw: PathBytes, what: String) throws(ArchiveError) -> [PathBytes] {
        let shown = PathBytesSyntax.display(raw)
        guard !raw.isEmpty else {
            throw ArchiveError(.unsafeEntry, "the archive has an \(what) with an empty name; the archive is corrupt or hostile and was not used")
        }
        guard raw.first != PathBytesSyntax.slash else {
            throw ArchiveError(.unsafeEntry, "refusing \(what) '\(shown)': absolute names could write anywhere; the archive is corrupt or hostile and was not used")
        }
        var result: [PathBytes] = []
        for part in PathBytesSyntax.split(raw) {
            if part.isEmpty || part == PathBytesSyntax.dot { continue }
            if part == PathBytesSyntax.dotDot {
                throw ArchiveError(.unsafeEntry, "refusing \(what) '\(shown)': a '..' component could write outside the cache path; the archive is corrupt or hostile and was not used")
            }
            result.append(part)
        }
        return result
    }
}
