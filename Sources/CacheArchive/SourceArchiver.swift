import CArchive

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Walks cache paths on disk and appends them to an open archive writer,
/// each under its member name, keeping the running counts for the report.
final class SourceArchiver {
    static let blockSize = 1 << 20

    private let archive: OpaquePointer
    private let output: HashingFileOutput
    let throttle: ProgressThrottle
    /// The archive being written, so that a cache path containing it does
    /// not try to store the file into itself.
    private let outputIdentity: (dev: UInt64, ino: UInt64)
    /// Under `.inside`, a link leading out of its cache path fails the save.
    private let symlinkPolicy: SymlinkPolicy
    private let buffer = UnsafeMutableRawPointer.allocate(byteCount: SourceArchiver.blockSize, alignment: 64)

    private(set) var entries = 0
    private(set) var files = 0
    private(set) var directories = 0
    private(set) var symlinks = 0
    private(set) var hardlinks = 0
    private(set) var contentBytes: Int64 = 0
    private(set) var warnings: [String] = []

    init(archive: OpaquePointer, output: HashingFileOutput, throttle: ProgressThrottle, outputIdentity: (dev: UInt64, ino: UInt64),
         symlinkPolicy: SymlinkPolicy) {
        self.symlinkPolicy = symlinkPolicy
        self.archive = archive
        self.output = output
        self.throttle = throttle
        self.outputIdentity = outputIdentity
    }

    deinit { buffer.deallocate() }

    func add(_ source: ArchiveSource) throws(ArchiveError) {
        let root = Self.withoutTrailingSlashes(PathBytes(source.path.utf8))
        let member = PathBytes(source.name.utf8)

        guard let disk = archive_read_disk_new() else {
            throw ArchiveError(.io, "cannot read cache path \(source.path): libarchive could not allocate a disk reader (out of memory?)")
        }
        defer { archive_read_free(disk) }
        // Physical: a symlink is stored as a link and never followed, so a
        // link to `/` cannot drag the whole machine into the cache.
        archive_read_disk_set_symlink_physical(disk)
        // Caches need contents, modes and times; xattrs, ACLs and file flags
        // are slow to read and cannot all be restored without privileges.
        archive_read_disk_set_behavior(
            disk, ARCHIVE_READDISK_NO_XATTR | ARCHIVE_READDISK_NO_ACL | ARCHIVE_READDISK_NO_FFLAGS | ARCHIVE_READDISK_NO_SPARSE)
        guard PathBytesSyntax.withCString(root, { archive_read_disk_open(disk, $0) }) == ARCHIVE_OK else {
            throw ArchiveError(.io, "cannot read cache path \(source.path): \(LibArchive.message(disk))")
        }

        // One resolver per member: a hard link between two members is
        // stored as two files, because a restore puts members in unrelated
        // places and refuses links that cross them.
        guard let resolver = archive_entry_linkresolver_new() else {
            throw ArchiveError(.io, "cannot read cache path \(source.path): libarchive could not allocate a link resolver (out of memory?)")
        }
        defer { archive_entry_linkresolver_free(resolver) }
        archive_entry_linkresolver_set_strategy(resolver, archive_format(archive))

        guard let entry = archive_entry_new() else {
            throw ArchiveError(.io, "cannot read cache path \(source.path): libarchive could not allocate an entry (out of memory?)")
        }
        defer { archive_entry_free(entry) }

        while true {
            let status = archive_read_next_header2(disk, entry)
            if status == ARCHIVE_EOF { break }
            if status == ARCHIVE_WARN {
                warnings.append("while reading \(source.path): \(LibArchive.message(disk))")
            } else if status != ARCHIVE_OK {
                throw ArchiveError(.io, "cannot read cache path \(source.path): \(LibArchive.message(disk)); make sure nothing changes the cache paths while they are saved")
            }
            guard let rawPath = archive_entry_pathname(entry) else {
                throw ArchiveError(.io, "cannot read cache path \(source.path): libarchive returned an entry without a name")
            }
            let diskPath = PathBytesSyntax.bytes(ofCString: rawPath)
            let type = archive_entry_filetype(entry)
            if type == EntryType.directory {
                archive_read_disk_descend(disk)
            }
            let memberPath = try Self.rename(diskPath, root: root, member: member, source: source)
            if type == EntryType.symlink && symlinkPolicy == .inside {
                try checkInside(entry, memberPath: memberPath, member: member, source: source)
            }
            try addEntry(entry, diskPath: diskPath, type: type, memberPath: memberPath, resolver: resolver)
            try throttle.tick(ArchiveProgress(entries: entries, contentBytes: contentBytes, compressedBytes: output.bytesWritten))
        }
    }

    private func addEntry(
        _ entry: OpaquePointer, diskPath: PathBytes, type: mode_t, memberPath: PathBytes, resolver: OpaquePointer
    ) throws(ArchiveError) {
        // Built only for a message: most entries never need their name as text.
        var shownPath: String { PathBytesSyntax.display(diskPath) }
        guard type == EntryType.regular || type == EntryType.directory || type == EntryType.symlink else {
            warnings.append("skipped \(EntryType.describe(type)) \(shownPath): only files, directories and symlinks are cached")
            return
        }
        if UInt64(archive_entry_dev(entry)) == outputIdentity.dev && UInt64(archive_entry_ino64(entry)) == outputIdentity.ino {
            warnings.append("skipped \(shownPath): it is the archive being written; keep the archive outside the cache paths")
            return
        }

        PathBytesSyntax.withCString(memberPath) { archive_entry_copy_pathname(entry, $0) }
        // Ownership is never restored, so store no names and a neutral owner:
        // the archive does not leak local accounts and does not vary with them.
        archive_entry_set_uid(entry, 0)
        archive_entry_set_gid(entry, 0)
        archive_entry_set_uname(entry, nil)
        archive_entry_set_gname(entry, nil)
        // Only the mtime is restored; the others would only grow every pax extension.
        archive_entry_unset_atime(entry)
        archive_entry_unset_ctime(entry)
        archive_entry_unset_birthtime(entry)

        var file: Int32 = -1
        defer { if file >= 0 { close(file) } }
        switch type {
        case EntryType.directory:
            directories += 1
        case EntryType.symlink:
            // Not given to the link resolver: a hard link to a symlink would
            // be refused on restore (it would move where the link resolves).
            symlinks += 1
        default:
            var linked: OpaquePointer? = entry
            var spare: OpaquePointer? = nil
            archive_entry_linkify(resolver, &linked, &spare)
            if archive_entry_hardlink(entry) != nil {
                hardlinks += 1
            } else {
                file = try openRegularFile(diskPath, entry: entry)
                files += 1
            }
        }

        let status = archive_write_header(archive, entry)
        if status == ARCHIVE_WARN {
            warnings.append("while storing \(shownPath): \(LibArchive.message(archive))")
        }
        try ArchiveWriter.check(status, archive, output, "cannot store \(shownPath)")
        entries += 1
        if file >= 0 {
            try copyContents(of: file, size: archive_entry_size(entry), diskPath: diskPath)
        }
        try ArchiveWriter.check(archive_write_finish_entry(archive), archive, output, "cannot store \(shownPath)")
    }

    /// Opens the file and takes its size from the open descriptor, so the
    /// header matches what is read as closely as a live file system allows.
    private func openRegularFile(_ diskPath: PathBytes, entry: OpaquePointer) throws(ArchiveError) -> Int32 {
        var shownPath: String { PathBytesSyntax.display(diskPath) }
        // O_NOFOLLOW and O_NONBLOCK: if the file was swapped for a symlink or
        // a FIFO since it was listed, fail instead of following or hanging.
        let fd = PathBytesSyntax.withCString(diskPath) { open($0, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) }
        guard fd >= 0 else {
            throw ArchiveError(.io, "cannot read \(shownPath): \(POSIX.errorText(errno)); make sure nothing changes the cache paths while they are saved")
        }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw ArchiveError(.io, "cannot read \(shownPath): it is no longer a regular file; make sure nothing changes the cache paths while they are saved")
        }
        archive_entry_set_size(entry, Int64(info.st_size))
        return fd
    }

    private func copyContents(of fd: Int32, size: Int64, diskPath: PathBytes) throws(ArchiveError) {
        var shownPath: String { PathBytesSyntax.display(diskPath) }
        var remaining = size
        while true {
            // Asking for one byte more than expected at the end detects a
            // file that grew, without an extra read call per file.
            let wanted = remaining >= Int64(Self.blockSize) ? Self.blockSize : Int(remaining) + 1
            let got = POSIX.readSome(fd, buffer, wanted)
            guard got >= 0 else {
                throw ArchiveError(.io, "cannot read \(shownPath): \(POSIX.errorText(Int32(-got)))")
            }
            let usable = Int(min(Int64(got), remaining))
            if usable > 0 {
                let written = archive_write_data(archive, buffer, usable)
                if written < 0 {
                    try ArchiveWriter.check(ARCHIVE_FATAL, archive, output, "cannot store \(shownPath)")
                }
                remaining -= Int64(usable)
                contentBytes += Int64(usable)
                // Between blocks too, not only between files: one large file must not hold up a
                // cancelled job.
                try throttle.tick(ArchiveProgress(entries: entries, contentBytes: contentBytes, compressedBytes: output.bytesWritten))
            }
            if Int64(got) > Int64(usable) {
                warnings.append("\(shownPath) grew while it was archived; stored its first \(size) bytes")
                return
            }
            if got == 0 {
                if remaining > 0 {
                    // libarchive pads the entry with zeros to the size in its header.
                    warnings.append("\(shownPath) shrank while it was archived; stored \(size - remaining) of \(size) bytes, padded with zeros")
                }
                return
            }
            if remaining == 0 && got < wanted { return }
        }
    }

    /// The restore's `inside` rule, applied before storing: a save must never
    /// store what a restore of the same cache would refuse.
    private func checkInside(_ entry: OpaquePointer, memberPath: PathBytes, member: PathBytes, source: ArchiveSource) throws(ArchiveError) {
        let target = archive_entry_symlink(entry).map(PathBytesSyntax.bytes(ofCString:)) ?? []
        let location = PathBytesSyntax.split(memberPath).dropFirst(PathBytesSyntax.split(member).count)
        do {
            _ = try SymlinkTarget.checked(target, location: location, entry: "'\(PathBytesSyntax.display(memberPath))'")
        } catch {
            throw ArchiveError(.symlinkPolicy, "cannot save cache path \(source.path): \(error.message); "
                               + "drop 'symlinks: inside' to store links as they are, or leave this path out of the cache")
        }
    }

    /// `<root>/a/b` becomes `<member>/a/b`; the root itself becomes `<member>`.
    private static func rename(_ diskPath: PathBytes, root: PathBytes, member: PathBytes, source: ArchiveSource) throws(ArchiveError) -> PathBytes {
        if diskPath == root { return member }
        let prefix = root == [PathBytesSyntax.slash] ? root : root + [PathBytesSyntax.slash]
        guard diskPath.starts(with: prefix) else {
            throw ArchiveError(.io, "cannot store \(PathBytesSyntax.display(diskPath)): libarchive listed it under cache path \(source.path) but it is not inside it")
        }
        return member + [PathBytesSyntax.slash] + diskPath[prefix.count...]
    }

    private static func withoutTrailingSlashes(_ path: PathBytes) -> PathBytes {
        var path = path
        while path.count > 1 && path.last == PathBytesSyntax.slash { path.removeLast() }
        return path
    }
}
