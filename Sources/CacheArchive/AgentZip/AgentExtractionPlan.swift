#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What an extraction will do, decided from the central directory alone, before anything is
/// created: which entries land where, which are skipped, and whether the limits hold.
struct AgentExtractionPlan {
    enum Kind: Equatable {
        case directory
        case file
        case symlink
    }

    struct Item {
        let entry: ZipCentralDirectory.Entry
        let kind: Kind
        /// Permission bits to restore (never set-user-ID or set-group-ID).
        let permissions: mode_t
        /// Index into the targets.
        let target: Int
        /// Path below the target's root; empty for the target itself.
        let rest: [PathBytes]
        /// Where it is created.
        let destination: PathBytes

        var shownName: String { "'\(PathBytesSyntax.display(entry.name))'" }
    }

    private(set) var items: [Item] = []
    private(set) var warnings: [String] = []

    init(directory: ZipCentralDirectory, manifest: AgentManifest, bases: [AgentAnchor: [PathBytes]], targets: [AgentStaging],
         limits: ExtractionLimits, path: String) throws(ArchiveError) {
        let manifestName = Array(AgentManifest.entryName.utf8)
        var skipped: [String: Int] = [:]
        var seen: Set<PathBytes> = []
        var budget: Int64 = 0
        for entry in directory.entries where entry.name != manifestName {
            let shown = "'\(PathBytesSyntax.display(entry.name))'"
            guard !entry.name.contains(0) else {
                throw ArchiveError(.unsafeEntry, "archive \(path) has an entry name with a NUL byte (\(shown)); it would name another file than it says, so the archive was not used")
            }
            let components = try EntryName.components(entry.name, what: "entry")
            guard let namespace = components.first.map(PathBytesSyntax.display),
                  let anchor = manifest.mappings[namespace], let base = bases[anchor] else {
                // The agent discards these too: outside any namespace of the manifest.
                skipped[components.first.map(PathBytesSyntax.display) ?? "", default: 0] += 1
                continue
            }
            let location = base + components.dropFirst()
            guard let target = targets.firstIndex(where: { location.starts(with: $0.components) }) else {
                skipped[namespace, default: 0] += 1
                continue
            }
            let kind = try Self.kind(of: entry, shown: shown, path: path)
            guard let kind else {
                warnings.append("skipped \(EntryType.describe(mode_t(entry.unixMode ?? 0))) \(shown): only files, directories and symlinks are restored")
                continue
            }
            let rest = Array(location.dropFirst(targets[target].components.count))
            let destination = rest.isEmpty ? targets[target].staging
                : targets[target].staging + [PathBytesSyntax.slash] + PathBytesSyntax.join(rest)
            guard seen.insert(destination).inserted else {
                throw ArchiveError(.unsafeEntry, "archive \(path) holds two entries for the same path (the second is \(shown)); which one wins would depend on the tool, so it was not used")
            }
            guard destination.count < Int(PATH_MAX) else {
                throw ArchiveError(.unsafeEntry, "refusing entry \(shown): its destination path is longer than PATH_MAX")
            }
            if kind != .directory {
                let (total, overflow) = budget.addingReportingOverflow(Int64(clamping: entry.size))
                guard !overflow, total <= limits.maxContentBytes else {
                    throw ArchiveError(.limitExceeded, "archive \(path) expands to more than \(limits.maxContentBytes) bytes of content (at entry \(shown)), the extraction limit; it was not used (a decompression bomb, or raise the limit)")
                }
                budget = total
            } else if entry.size > 0 {
                throw ArchiveError(.malformedArchive, "archive \(path) has directory entry \(shown) with data in it; it is corrupt or hostile and was not used")
            }
            let mode = entry.unixMode.map { mode_t($0) & 0o1777 } ?? (kind == .directory ? 0o755 : 0o644)
            items.append(Item(entry: entry, kind: kind, permissions: mode, target: target, rest: rest, destination: destination))
        }
        for (namespace, count) in skipped.sorted(by: { $0.key < $1.key }) {
            let what = namespace.isEmpty || manifest.mappings[namespace] == nil
                ? "outside every namespace of its manifest" : "outside the requested cache paths"
            warnings.append("skipped \(count) entr\(count == 1 ? "y" : "ies") under '\(namespace)' in \(path): \(what)")
        }
    }

    /// Directory (a name ending in `/`, or a directory mode), symlink (by mode), regular file
    /// (by mode, or no mode at all); nil for devices, FIFOs and sockets, which are skipped.
    private static func kind(of entry: ZipCentralDirectory.Entry, shown: String, path: String) throws(ArchiveError) -> Kind? {
        let slashEnded = entry.name.last == PathBytesSyntax.slash
        let type = (entry.unixMode ?? 0) & 0o170000
        switch type {
        case 0:
            return slashEnded ? .directory : .file
        case 0o040000:
            return .directory
        case 0o100000, 0o120000:
            guard !slashEnded else {
                throw ArchiveError(.malformedArchive, "archive \(path) has entry \(shown) whose name ends in '/' but whose mode is not a directory's; it is corrupt or hostile and was not used")
            }
            return type == 0o100000 ? .file : .symlink
        default:
            return nil
        }
    }
}
