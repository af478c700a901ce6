import CArchive
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes cache archives in the format of `buildkite-agent cache save` (v2): a zip whose first
/// entry is the manifest, with each target under its `_i/` namespace, so that an entry saved
/// here restores with the agent and the reverse.
public enum AgentArchiveWriter {
    /// Writes the agent's zip to `path` (which must not exist): the manifest first (Deflate),
    /// then each target's entries in order, depth first with names sorted byte-wise; zstd
    /// (method 93) for non-empty regular files, store for the rest; every time fixed at
    /// 2024-01-01T00:00:00Z; UNIX modes in the external attributes; no owner. The same tree
    /// gives the same bytes. The file is hashed as it is written.
    ///
    /// The report holds the sha256 of the zip file (the blob's name), `compressedBytes` = its
    /// size, the content bytes and counts, and warnings for what was skipped (sockets, FIFOs,
    /// devices, files that changed while read). On any error the partial file is removed.
    public static func write(
        targets: [AgentArchiveTarget], to path: String, symlinks: SymlinkPolicy,
        isCancelled: @escaping @Sendable () -> Bool
    ) throws(ArchiveError) -> ArchiveReport {
        try validate(targets)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let code = errno
            if code == EEXIST {
                throw ArchiveError(.invalidRequest, "cannot write archive \(path): the file already exists; write to a new temporary name")
            }
            throw ArchiveError(.io, "cannot create archive \(path): \(POSIX.errorText(code))")
        }
        var finished = false
        defer {
            if !finished {
                close(fd)
                unlink(path)
            }
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ArchiveError(.io, "cannot inspect archive \(path): \(POSIX.errorText(errno))") }

        let zip = ZipWriter(fd: fd, path: path, isCancelled: isCancelled)
        var mappings: [String: AgentAnchor] = [:]
        for (index, target) in targets.enumerated() { mappings["_\(index)"] = target.anchor }
        try zip.add(name: Array(AgentManifest.entryName.utf8), mode: 0o100644,
                    data: AgentManifest(mappings: mappings).encoded(), method: .deflate)

        let walker = AgentTreeWalker(zip: zip, symlinkPolicy: symlinks, archiveIdentity: (UInt64(info.st_dev), UInt64(info.st_ino)),
                                     isCancelled: isCancelled)
        for (index, target) in targets.enumerated() {
            try walker.add(target, namespace: "_\(index)")
        }
        try zip.finish()
        guard fsync(fd) == 0 else { throw ArchiveError(.io, "cannot flush archive \(path) to disk: \(POSIX.errorText(errno))") }
        finished = true
        guard close(fd) == 0 else {
            let code = errno
            unlink(path)
            throw ArchiveError(.io, "cannot close archive \(path): \(POSIX.errorText(code))")
        }
        return ArchiveReport(
            sha256: zip.digest, compressedBytes: Int64(zip.offset), contentBytes: walker.contentBytes,
            files: walker.files, directories: walker.directories, symlinks: walker.symlinks, hardlinks: 0,
            warnings: walker.warnings)
    }

    /// Every target absolute, existing, with a clean relative path, and none inside another
    /// (the agent refuses overlapping targets at save too: a restore would extract twice).
    private static func validate(_ targets: [AgentArchiveTarget]) throws(ArchiveError) {
        guard !targets.isEmpty else {
            throw ArchiveError(.invalidRequest, "nothing to archive: the list of cache paths is empty")
        }
        var seen: [(String, [PathBytes])] = []
        for target in targets {
            let shown = "cache path \(target.absolutePath) (\(target.anchor.rawValue)/\(target.relativePath))"
            guard target.absolutePath.hasPrefix("/") else {
                throw ArchiveError(.invalidRequest, "\(shown) is not absolute; resolve it before saving")
            }
            if !target.relativePath.isEmpty {
                _ = try MemberName.components(of: target.relativePath, role: "\(shown) (its path below \(target.anchor.rawValue))")
            } else if target.anchor == .root {
                throw ArchiveError(.invalidRequest, "cannot cache the filesystem root '/'; name a directory below it")
            }
            guard try POSIX.lstatIfExists(target.absolutePath) != nil else {
                throw ArchiveError(.invalidRequest, "\(shown) does not exist; nothing to save for it")
            }
            let components = AgentPath.components(target.absolutePath)
            for (other, otherComponents) in seen
            where components.starts(with: otherComponents) || otherComponents.starts(with: components) {
                throw ArchiveError(.invalidRequest, "cache paths \(other) and \(target.absolutePath) overlap (one is, or is inside, the other); remove the redundant one")
            }
            seen.append((target.absolutePath, components))
        }
    }
}

/// Absolute paths as components, for the lexical comparisons of targets and anchor bases.
enum AgentPath {
    /// `/a//b/` -> ["a", "b"]; `.` components dropped.
    static func components(_ path: String) -> [PathBytes] {
        PathBytesSyntax.split(PathBytes(path.utf8)).filter { !$0.isEmpty && $0 != PathBytesSyntax.dot }
    }

    static func absolute(_ components: some Collection<PathBytes>) -> PathBytes {
        [PathBytesSyntax.slash] + PathBytesSyntax.join(components)
    }
}
