import CArchive
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Carries out an extraction plan in fresh staging paths.
///
/// Nothing is written through a symlink: links are created after every file and directory,
/// so while those are written no link exists in the staging tree; an entry below a link of
/// the archive is refused; files are created with O_EXCL and O_NOFOLLOW all the same.
/// Directory modes come last (deepest first), so a read-only directory is filled before it
/// becomes read-only.
final class AgentExtraction {
    private let targets: [AgentStaging]
    private let symlinkPolicy: SymlinkPolicy
    private let path: String

    private(set) var files = 0
    private(set) var directories = 0
    private(set) var symlinks = 0
    private(set) var contentBytes: Int64 = 0
    /// Keys of the targets that received at least one entry.
    private(set) var reached: Set<String> = []

    /// Directories created so far (explicitly or as parents).
    private var madeDirectories: Set<PathBytes> = []
    private var directoryModes: [(path: PathBytes, mode: mode_t)] = []
    private var pendingLinks: [(path: PathBytes, target: PathBytes, staging: PathBytes, shownName: String)] = []
    private var createdSymlinks = CreatedSymlinks()
    /// Targets whose root entry is a symlink: nothing may be written below them.
    private var linkRoots: Set<String> = []

    init(targets: [AgentStaging], symlinkPolicy: SymlinkPolicy, path: String) {
        self.targets = targets
        self.symlinkPolicy = symlinkPolicy
        self.path = path
    }

    func run(_ plan: AgentExtractionPlan, data: ZipEntryData, isCancelled: @Sendable () -> Bool) throws(ArchiveError) {
        // Links first in the bookkeeping (not on disk), so an entry below a link is refused
        // whatever the order of the archive.
        for item in plan.items where item.kind == .symlink {
            let key = targets[item.target].key
            if item.rest.isEmpty { linkRoots.insert(key) } else { createdSymlinks.record(item.rest[...], in: key, isSymlink: true) }
        }
        for item in plan.items {
            if isCancelled() { throw ArchiveError(.cancelled, "cancelled while extracting \(path); nothing partial is left") }
            try checkNotBelowLink(item)
            switch item.kind {
            case .directory:
                try makeDirectory(item.destination, under: targets[item.target].staging, entry: item.shownName)
                directoryModes.append((item.destination, item.permissions))
                directories += 1
            case .file:
                try writeFile(item, data: data)
                files += 1
            case .symlink:
                let stored = try data.bytes(of: item.entry, limit: Int(PATH_MAX))
                guard !stored.contains(0) else {
                    throw ArchiveError(.unsafeEntry, "refusing symlink \(item.shownName): its target holds a NUL byte; the archive is corrupt or hostile and was not used")
                }
                let target = try SymlinkTarget.allowed(stored, location: item.rest[...], entry: item.shownName, policy: symlinkPolicy)
                pendingLinks.append((item.destination, target, targets[item.target].staging, item.shownName))
            }
            reached.insert(targets[item.target].key)
        }
        try createLinks()
        for directory in directoryModes.sorted(by: { $0.path.count > $1.path.count }) {
            try finishDirectory(directory.path, mode: directory.mode)
        }
    }

    private func checkNotBelowLink(_ item: AgentExtractionPlan.Item) throws(ArchiveError) {
        let key = targets[item.target].key
        let below = !item.rest.isEmpty && linkRoots.contains(key)
        if below || createdSymlinks.linkAbove(item.rest[...], in: key) != nil {
            throw ArchiveError(.unsafeEntry, "refusing entry \(item.shownName): its path goes through a symlink that this archive creates, so it could land outside the cache path \(key); the archive is corrupt or hostile and was not used")
        }
    }

    /// Creates `directory` and any missing parents down from the staging path (whose parent exists).
    private func makeDirectory(_ directory: PathBytes, under staging: PathBytes, entry: String) throws(ArchiveError) {
        if madeDirectories.contains(directory) { return }
        if directory != staging, let slash = directory.lastIndex(of: PathBytesSyntax.slash) {
            try makeDirectory(Array(directory[..<slash]), under: staging, entry: entry)
        }
        let status = PathBytesSyntax.withCString(directory) { mkdir($0, 0o755) }
        if status != 0 {
            let code = errno
            var info = stat()
            let isDirectory = PathBytesSyntax.withCString(directory) { lstat($0, &info) } == 0 && POSIX.isDirectory(info)
            guard code == EEXIST, isDirectory else {
                if code == EEXIST || code == ENOTDIR {
                    throw ArchiveError(.unsafeEntry, "refusing entry \(entry): it needs a directory at \(PathBytesSyntax.display(directory)), where the archive put a file; the archive is corrupt or hostile and was not used")
                }
                throw ArchiveError(.io, "cannot create directory \(PathBytesSyntax.display(directory)): \(POSIX.errorText(code))")
            }
        }
        madeDirectories.insert(directory)
    }

    private func writeFile(_ item: AgentExtractionPlan.Item, data: ZipEntryData) throws(ArchiveError) {
        let staging = targets[item.target].staging
        if item.destination != staging, let slash = item.destination.lastIndex(of: PathBytesSyntax.slash) {
            try makeDirectory(Array(item.destination[..<slash]), under: staging, entry: item.shownName)
        }
        let shownPath = PathBytesSyntax.display(item.destination)
        let fd = PathBytesSyntax.withCString(item.destination) { open($0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600) }
        guard fd >= 0 else {
            let code = errno
            if code == EEXIST {
                throw ArchiveError(.unsafeEntry, "refusing entry \(item.shownName): something is already at \(shownPath) (a directory made for an earlier entry); the archive is corrupt or hostile and was not used")
            }
            throw ArchiveError(.io, "cannot create \(shownPath): \(POSIX.errorText(code))")
        }
        defer { close(fd) }
        try data.stream(item.entry) { (block: UnsafeRawBufferPointer) throws(ArchiveError) in
            let code = POSIX.writeAll(fd, block)
            guard code == 0 else { throw ArchiveError(.io, "cannot write \(shownPath): \(POSIX.errorText(code))") }
            contentBytes += Int64(block.count)
        }
        guard fchmod(fd, item.permissions) == 0 else { throw ArchiveError(.io, "cannot set the mode of \(shownPath): \(POSIX.errorText(errno))") }
        var times = Self.times
        guard futimens(fd, &times) == 0 else { throw ArchiveError(.io, "cannot set the time of \(shownPath): \(POSIX.errorText(errno))") }
    }

    /// The links, once every file and directory is in place; a path already taken means an
    /// entry was placed below where the link goes, which the archive may not do.
    private func createLinks() throws(ArchiveError) {
        for link in pendingLinks {
            if link.path != link.staging, let slash = link.path.lastIndex(of: PathBytesSyntax.slash) {
                try makeDirectory(Array(link.path[..<slash]), under: link.staging, entry: link.shownName)
            }
            let status = PathBytesSyntax.withCString(link.target) { target in
                PathBytesSyntax.withCString(link.path) { symlink(target, $0) }
            }
            guard status == 0 else {
                let code = errno
                if code == EEXIST {
                    throw ArchiveError(.unsafeEntry, "refusing symlink \(link.shownName): other entries of the archive lie below it; the archive is corrupt or hostile and was not used")
                }
                throw ArchiveError(.io, "cannot create symlink \(PathBytesSyntax.display(link.path)): \(POSIX.errorText(code))")
            }
            var times = Self.times
            _ = PathBytesSyntax.withCString(link.path) { utimensat(AT_FDCWD, $0, &times, AT_SYMLINK_NOFOLLOW) }
            symlinks += 1
        }
    }

    private func finishDirectory(_ directory: PathBytes, mode: mode_t) throws(ArchiveError) {
        let shown = PathBytesSyntax.display(directory)
        var times = Self.times
        guard PathBytesSyntax.withCString(directory, { chmod($0, mode) }) == 0,
              PathBytesSyntax.withCString(directory, { utimensat(AT_FDCWD, $0, &times, AT_SYMLINK_NOFOLLOW) }) == 0 else {
            throw ArchiveError(.io, "cannot set the mode or time of \(shown): \(POSIX.errorText(errno))")
        }
    }

    /// Access time now, modification time the agent's fixed 2024-01-01T00:00:00Z.
    /// Linux's UTIME_NOW, a macro Swift does not import.
    private static let utimeNow = (1 << 30) - 1

    private static var times: [timespec] {
        [timespec(tv_sec: 0, tv_nsec: utimeNow), timespec(tv_sec: Int(ZipFormat.fixedUnixTime), tv_nsec: 0)]
    }
}
