import CArchive

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Extracts cache archives into fresh staging paths, one per member,
/// treating the archive as hostile until proven otherwise.
public enum ArchiveExtractor {
    /// Extracts every member named in `destinations` (member name -> absolute
    /// path where that member's root is created; the path must not exist yet,
    /// its parent must).
    ///
    /// Every byte of the input is hashed as it is read, including any bytes
    /// after the end of the tar stream, and the digest is returned in the
    /// report: the CALLER compares it with the expected digest before using
    /// the result. Entries of members not in `destinations` are skipped with
    /// one warning per member. The input (an archive file: `FileArchiveInput`)
    /// is read once, in order, on a thread of its own while this one writes
    /// files: a download can be extracted as it arrives.
    ///
    /// `symlinks` says which links are created (see `SymlinkPolicy`); under
    /// any policy, links are created after every other entry and nothing is
    /// written through one. A refused archive's error carries the digest of
    /// the whole input (`ArchiveError.archiveSHA256`).
    ///
    /// On any error, whatever was created at the destinations is removed.
    /// The process's working directory is never changed, so several
    /// extractions may run at once.
    public static func extract(
        from source: any ArchiveInput,
        destinations: [String: String],
        limits: ExtractionLimits = .default,
        symlinks: SymlinkPolicy = .anywhere,
        progress: (@Sendable (ArchiveProgress) -> Void)? = nil,
        isCancelled: @escaping @Sendable () -> Bool = { false }
    ) throws(ArchiveError) -> ArchiveReport {
        let table = try memberTable(for: destinations)
        let input = HashingFileInput(source: source)
        // The decompressing thread must be done with the source before it goes.
        defer { input.stop() }

        let extraction = EntryExtractor(
            table: table, input: input, limits: limits,
            throttle: ProgressThrottle(progress, isCancelled: isCancelled), symlinkPolicy: symlinks)
        do {
            return try POSIX.withUTF8Locale { () throws(ArchiveError) in try extraction.run() }
        } catch {
            extraction.release()
            for member in table.members {
                POSIX.removeTree(PathBytesSyntax.display(member.destination))
            }
            throw refusal(error, digestOf: input)
        }
    }

    /// A refused archive carries the digest of the whole file, so the caller
    /// can tell whether it is exactly the blob its entry names.
    private static func refusal(_ error: ArchiveError, digestOf input: HashingFileInput) -> ArchiveError {
        let refusals: Set<ArchiveError.Kind> = [.unsafeEntry, .symlinkPolicy, .malformedArchive, .limitExceeded]
        guard refusals.contains(error.kind), input.failure == nil, (try? input.drainToEnd()) != nil else { return error }
        var withDigest = error
        withDigest.archiveSHA256 = input.finalizeDigest()
        return withDigest
    }

    /// Checks the request before anything is read: names valid and distinct,
    /// destinations absolute, absent, with an existing parent.
    private static func memberTable(for destinations: [String: String]) throws(ArchiveError) -> MemberTable {
        guard !destinations.isEmpty else {
            throw ArchiveError(.invalidRequest, "no destinations given: name at least one member to extract")
        }
        let names = destinations.keys.sorted()
        let components = try MemberName.validateSet(names, role: "the extraction destinations")
        var members: [MemberTable.Member] = []
        var seen: Set<String> = []
        for (name, parts) in zip(names, components) {
            let path = destinations[name]!
            let destination = try resolvedDestination(path, member: name)
            guard seen.insert(destination).inserted else {
                throw ArchiveError(.invalidRequest, "two members are to be extracted to \(path); give each member its own destination")
            }
            members.append(.init(name: name, components: parts, destination: PathBytes(destination.utf8)))
        }
        return MemberTable(members: members)
    }

    /// The destination with its parent resolved by realpath, so that every
    /// path handed to libarchive is canonical: the checkout or home directory
    /// above a cache path may well be reached through a symlink.
    private static func resolvedDestination(_ path: String, member: String) throws(ArchiveError) -> String {
        var trimmed = path
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard trimmed.hasPrefix("/"), trimmed != "/" else {
            throw ArchiveError(.invalidRequest, "destination '\(path)' for member '\(member)' is not an absolute path below '/'; pass an absolute staging path")
        }
        guard try POSIX.lstatIfExists(trimmed) == nil else {
            throw ArchiveError(.invalidRequest, "destination \(path) for member '\(member)' already exists; extract into a fresh staging path and swap it into place afterwards")
        }
        let slash = trimmed.lastIndex(of: "/")!
        let parent = slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
        let name = String(trimmed[trimmed.index(after: slash)...])
        guard name != "." && name != ".." else {
            throw ArchiveError(.invalidRequest, "destination \(path) for member '\(member)' ends in '\(name)'; name the staging path itself")
        }
        let realParent = try POSIX.realPath(parent)
        guard let info = try POSIX.lstatIfExists(realParent), POSIX.isDirectory(info) else {
            throw ArchiveError(.invalidRequest, "the parent of destination \(path) for member '\(member)' is not a directory; create it first")
        }
        return realParent == "/" ? "/" + name : realParent + "/" + name
    }
}
