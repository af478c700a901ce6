import CacheEncoding
import Crypto

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads cache archives in the format of `buildkite-agent cache save` (v2), held to this
/// plugin's rules rather than the agent's: the archive is hashed and its whole directory
/// checked before anything is created, every entry lands in a fresh staging path (the caller
/// swaps it into place), and nothing is ever written through a symlink.
public enum AgentArchiveReader {
    /// Extracts the zip at `path` into staging paths.
    ///
    /// - `anchorBases`: the directory each anchor stands for here (home, working directory, `/`).
    /// - `destinations`: resolved absolute target path -> staging path (which must not exist;
    ///   its parent must). An entry `_i/rest` lands at `anchorBases[anchor(_i)]/rest`; if that
    ///   is a target or lies below one, it goes to the same place below the target's staging
    ///   path. Matching is by path, not by namespace, as the agent does, so `~/.cache` and its
    ///   absolute spelling are the same target. Entries under no target are skipped (one
    ///   warning per namespace); targets with no entry are listed in `report.missingMembers`.
    ///
    /// Refused with `.malformedArchive`: not a zip, truncated, a missing or invalid manifest
    /// (bad JSON, version other than 2, unknown anchor), bad CRC or sizes, a local header that
    /// disagrees with the central directory. Refused with `.unsafeEntry`: an absolute name,
    /// any `..` component (stricter than the agent, which only refuses names that leave their
    /// anchor's base after cleaning: no archive of ours or the agent's has one), a repeated
    /// name, overlapping entries, an entry below a symlink of the archive. `.limitExceeded`
    /// when the directory holds more entries or declares more content than `limits` allow.
    /// Symlinks are created last, per `symlinks`; modes are restored (without set-user-ID and
    /// set-group-ID bits) and every mtime is the agent's fixed 2024-01-01T00:00:00Z.
    ///
    /// `report.sha256` is the digest of the whole file (also on a refused archive's error, as
    /// `archiveSHA256`). On any error, every staging path is removed again.
    public static func extract(
        from path: String, anchorBases: [AgentAnchor: String], destinations: [String: String],
        limits: ExtractionLimits, symlinks: SymlinkPolicy,
        isCancelled: @escaping @Sendable () -> Bool
    ) throws(ArchiveError) -> ArchiveReport {
        let bases = try validatedBases(anchorBases)
        let targets = try AgentStaging.targets(destinations)

        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ArchiveError(.io, "cannot open archive \(path): \(POSIX.errorText(errno))") }
        defer { close(fd) }
        let (digest, size) = try hash(fd: fd, path: path, isCancelled: isCancelled)

        let extraction = AgentExtraction(targets: targets, symlinkPolicy: symlinks, path: path)
        do {
            let directory = try ZipCentralDirectory(fd: fd, size: size, path: path, maxEntries: limits.maxEntries)
            let data = ZipEntryData(fd: fd, path: path, isCancelled: isCancelled)
            let manifest = try readManifest(directory, data: data, path: path)
            let plan = try AgentExtractionPlan(directory: directory, manifest: manifest, bases: bases, targets: targets,
                                               limits: limits, path: path)
            try extraction.run(plan, data: data, isCancelled: isCancelled)
            return ArchiveReport(
                sha256: digest, compressedBytes: Int64(size), contentBytes: extraction.contentBytes,
                files: extraction.files, directories: extraction.directories, symlinks: extraction.symlinks, hardlinks: 0,
                warnings: plan.warnings, missingMembers: targets.filter { !extraction.reached.contains($0.key) }.map(\.key))
        } catch {
            for target in targets { POSIX.removeTree(PathBytesSyntax.display(target.staging)) }
            var refused = error
            if [.unsafeEntry, .symlinkPolicy, .malformedArchive, .limitExceeded].contains(error.kind) {
                refused.archiveSHA256 = digest
            }
            throw refused
        }
    }

    /// The manifest, checked as the agent checks it: present, JSON, version 2, known anchors.
    static func readManifest(_ directory: ZipCentralDirectory, data: ZipEntryData, path: String) throws(ArchiveError) -> AgentManifest {
        let name = Array(AgentManifest.entryName.utf8)
        guard let entry = directory.entries.first(where: { $0.name == name }) else {
            throw ArchiveError(.malformedArchive, "archive \(path) has no \(AgentManifest.entryName) entry, so it is not a buildkite-agent cache archive (v2); it was not used")
        }
        return try AgentManifest.decode(try data.bytes(of: entry, limit: AgentManifest.maxBytes), archive: path)
    }

    private static func validatedBases(_ bases: [AgentAnchor: String]) throws(ArchiveError) -> [AgentAnchor: [PathBytes]] {
        var result: [AgentAnchor: [PathBytes]] = [:]
        for (anchor, base) in bases {
            guard base.hasPrefix("/") else {
                throw ArchiveError(.invalidRequest, "the base directory '\(base)' for anchor '\(anchor.rawValue)' is not absolute; resolve it first")
            }
            result[anchor] = AgentPath.components(base)
        }
        return result
    }

    /// The sha256 and size of the whole file, read once before anything else.
    private static func hash(fd: Int32, path: String, isCancelled: @Sendable () -> Bool) throws(ArchiveError) -> (String, UInt64) {
        var hasher = SHA256()
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: ZipEntryData.blockSize, alignment: 64)
        defer { buffer.deallocate() }
        var size: UInt64 = 0
        while true {
            if isCancelled() { throw ArchiveError(.cancelled, "cancelled while reading \(path); nothing was extracted") }
            let got = pread(fd, buffer, ZipEntryData.blockSize, off_t(size))
            if got < 0 && errno == EINTR { continue }
            guard got >= 0 else { throw ArchiveError(.io, "cannot read archive \(path): \(POSIX.errorText(errno))") }
            if got == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(start: buffer, count: got))
            size += UInt64(got)
        }
        return (hasher.finalize().hexString, size)
    }
}

/// The targets of a restore and where each is staged.
struct AgentStaging {
    /// The resolved target path as the caller gave it (the key of `destinations`).
    let key: String
    let components: [PathBytes]
    /// Absolute staging path, its parent resolved with realpath.
    let staging: PathBytes

    /// Checks the request before the archive is read: targets absolute and not nested,
    /// staging paths absolute, absent, with an existing parent directory.
    static func targets(_ destinations: [String: String]) throws(ArchiveError) -> [AgentStaging] {
        guard !destinations.isEmpty else {
            throw ArchiveError(.invalidRequest, "no destinations given: name at least one cache path to restore")
        }
        var result: [AgentStaging] = []
        for key in destinations.keys.sorted() {
            guard key.hasPrefix("/") else {
                throw ArchiveError(.invalidRequest, "cache path '\(key)' is not absolute; resolve it against its anchor first")
            }
            let components = AgentPath.components(key)
            guard !components.isEmpty else {
                throw ArchiveError(.invalidRequest, "cannot restore into the filesystem root '/'; name a directory below it")
            }
            if let other = result.first(where: { components.starts(with: $0.components) || $0.components.starts(with: components) }) {
                throw ArchiveError(.invalidRequest, "cache paths \(other.key) and \(key) overlap (one is, or is inside, the other); the agent treats this as a miss, remove the redundant one")
            }
            result.append(AgentStaging(key: key, components: components, staging: try stagingPath(destinations[key]!, for: key)))
        }
        let stagings = Set(result.map(\.staging))
        guard stagings.count == result.count else {
            throw ArchiveError(.invalidRequest, "two cache paths are to be staged at the same path; give each its own staging path")
        }
        return result
    }

    private static func stagingPath(_ path: String, for key: String) throws(ArchiveError) -> PathBytes {
        let components = AgentPath.components(path)
        guard path.hasPrefix("/"), let name = components.last, name != PathBytesSyntax.dotDot else {
            throw ArchiveError(.invalidRequest, "staging path '\(path)' for \(key) is not an absolute path naming a new entry below '/'")
        }
        guard try POSIX.lstatIfExists(path) == nil else {
            throw ArchiveError(.invalidRequest, "staging path \(path) for \(key) already exists; extract into a fresh staging path and swap it into place afterwards")
        }
        let parent = PathBytesSyntax.display(AgentPath.absolute(components.dropLast()))
        let realParent = try POSIX.realPath(parent)
        guard let info = try POSIX.lstatIfExists(realParent), POSIX.isDirectory(info) else {
            throw ArchiveError(.invalidRequest, "the parent of staging path \(path) for \(key) is not a directory; create it first")
        }
        return AgentPath.absolute(AgentPath.components(realParent) + [name])
    }
}
