import CArchive
import CSystemCalls

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One extraction: reads entries, proves each one harmless, points it at its
/// destination and lets libarchive's disk writer create it.
///
/// Symlinks are created last, after every other entry: while files and
/// directories are written no link exists in the staging tree, so nothing can
/// be written through one, whatever the links point at. Entries whose path
/// lies below a link of the archive are refused all the same (an archive this
/// plugin writes never has them: it stores links, never what they point at).
///
/// Small plain files are created by a `ParallelFileWriter`'s workers, not by
/// libarchive on this thread: most of a `node_modules` restore is the kernel
/// creating files, and several threads do it faster than one. A file goes to
/// the workers only when nothing can race with it: its directory is one this
/// extraction created, no earlier entry had its path, and it needs nothing
/// but bytes, mode and times. Before any other entry that could meet a file
/// in flight (a hard link, a path seen before) and before the symlinks, every
/// file in flight is finished first.
final class EntryExtractor {
    /// The largest file handed to the workers: its bytes are copied out of
    /// the tar stream to wait for a worker. Larger files are written by
    /// libarchive straight from the stream.
    static let largestParallelFile = 1 << 20
    private let table: MemberTable
    private let symlinkPolicy: SymlinkPolicy
    private let input: HashingFileInput
    private let limits: ExtractionLimits
    private let throttle: ProgressThrottle
    private var reader: OpaquePointer?
    private var writer: OpaquePointer?

    private var entries = 0
    private var files = 0
    private var directories = 0
    private var symlinks = 0
    private var hardlinks = 0
    private var contentBytes: Int64 = 0
    /// Content written plus content skipped: skipping still decompresses,
    /// so a bomb hidden in an unrequested member must hit the limit too.
    private var budgetUsed: Int64 = 0
    private var warnings: [String] = []
    private var warnedUnknownMembers: Set<String> = []
    private var extractedMembers: Set<String> = []
    /// Members whose root entry was a symlink: it may point beside the
    /// destination, so nothing may be written below it.
    private var membersWithLinkRoot: Set<String> = []
    /// Symlinks below member roots, so nothing is written through them.
    private var createdSymlinks = CreatedSymlinks()
    /// Symlink entries (copies, pathname already pointing at the staging
    /// tree), created once every other entry is in place.
    private var pendingSymlinks: [(path: PathBytes, shownName: String, entry: OpaquePointer)] = []
    /// Creates the small files (see the type's comment).
    private let fileWriter = ParallelFileWriter(workers: EntryExtractor.fileWorkers)
    /// The hash of every path an entry had so far: a path seen again waits for
    /// the files in flight. (Two paths with one hash only cost that wait.)
    private var seenPaths: Set<Int> = []
    /// Directories this extraction created (entries libarchive wrote): a file
    /// below one of them can be created without making its parents first.
    private var createdDirectories: Set<PathBytes> = []

    /// Two workers even on one core (a worker mostly waits for the kernel),
    /// at most four (they share the directories' locks).
    private static let fileWorkers = Swift.min(Swift.max(2, sysconf(Int32(_SC_NPROCESSORS_ONLN))), 4)

    init(table: MemberTable, input: HashingFileInput, limits: ExtractionLimits, throttle: ProgressThrottle,
         symlinkPolicy: SymlinkPolicy) {
        self.table = table
        self.symlinkPolicy = symlinkPolicy
        self.input = input
        self.limits = limits
        self.throttle = throttle
    }

    deinit { release() }

    /// Frees the libarchive objects; freeing the disk writer applies the
    /// deferred directory modes and times, so call it before removing files.
    func release() {
        // First: no worker may still write once the caller removes what was extracted.
        fileWriter.shutdown()
        if let reader { archive_read_free(reader) }
        if let writer { archive_write_free(writer) }
        reader = nil
        writer = nil
        for pending in pendingSymlinks { archive_entry_free(pending.entry) }
        pendingSymlinks = []
    }

    func run() throws(ArchiveError) -> ArchiveReport {
        guard let reader = archive_read_new(), let writer = archive_write_disk_new() else {
            throw ArchiveError(.io, "cannot extract \(input.name): libarchive could not allocate a reader or writer (out of memory?)")
        }
        self.reader = reader
        self.writer = writer

        // Only what we write: tar (ustar, pax, GNU). The input decompresses
        // zstd on its own thread (HashingFileInput), so libarchive reads plain
        // tar. Fewer decoders, less attack surface.
        archive_read_support_format_tar(reader)
        // No OWNER: files belong to whoever restores. NODOTDOT is a second
        // line behind our own name checks. SECURE_SYMLINKS is deliberately
        // absent: it lstats every component of every path from `/` (half the
        // time of a restore); `createdSymlinks` gives the same guarantee for
        // a fresh destination without a system call.
        let flags = ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_NODOTDOT
        archive_write_disk_set_options(writer, flags)

        guard input.open(on: reader) == ARCHIVE_OK else { throw readFailure() }

        while true {
            var entry: OpaquePointer?
            let status = archive_read_next_header(reader, &entry)
            if status == ARCHIVE_EOF { break }
            if status == ARCHIVE_WARN {
                warnings.append("while reading \(input.name): \(LibArchive.message(reader))")
            } else if status != ARCHIVE_OK {
                throw readFailure()
            }
            guard let entry else { throw readFailure() }
            entries += 1
            guard entries <= limits.maxEntries else {
                throw ArchiveError(.limitExceeded, "archive \(input.name) holds more than \(limits.maxEntries) entries, the extraction limit; it was not used (a file-count bomb, or raise the limit)")
            }
            try extract(entry)
            try throttle.tick(progressNow())
        }

        try fileWriter.finishAll()
        try input.drainToEnd()
        try createPendingSymlinks()
        if archive_write_close(writer) < ARCHIVE_WARN {
            throw ArchiveError(.io, "cannot finish extracting \(input.name): \(LibArchive.message(writer))")
        }
        let missingMembers = table.members.map(\.name).filter { !extractedMembers.contains($0) }
        release()

        let report = ArchiveReport(
            sha256: input.finalizeDigest(), compressedBytes: input.bytesRead, contentBytes: contentBytes,
            files: files, directories: directories, symlinks: symlinks, hardlinks: hardlinks, warnings: warnings, missingMembers: missingMembers)
        throttle.finish(progressNow())
        return report
    }

    private func extract(_ entry: OpaquePointer) throws(ArchiveError) {
        guard let rawName = archive_entry_pathname(entry) else {
            throw ArchiveError(.unsafeEntry, "archive \(input.name) has an entry without a name; the archive is corrupt or hostile and was not used")
        }
        let name = PathBytesSyntax.bytes(ofCString: rawName)
        let shownName = "'\(PathBytesSyntax.display(name))'"
        let components = try EntryName.components(name, what: "entry")
        let size = archive_entry_size(entry)

        guard let (member, rest) = table.match(components) else {
            let unknown = table.unknownMemberName(for: components)
            if warnedUnknownMembers.insert(unknown).inserted {
                warnings.append("skipped entries under '\(unknown)' in \(input.name): no destination was given for that member")
            }
            try spendBudget(size, on: shownName)
            return
        }
        let target = MemberTable.destinationPath(of: member, rest: rest)
        let replacesCreatedLink = rest.isEmpty
            ? membersWithLinkRoot.contains(member.name) : createdSymlinks.isLink(rest, in: member.name)
        if rest.isEmpty {
            if archive_entry_filetype(entry) == EntryType.symlink && archive_entry_hardlink(entry) == nil {
                membersWithLinkRoot.insert(member.name)
            } else {
                membersWithLinkRoot.remove(member.name)
            }
        } else if membersWithLinkRoot.contains(member.name) {
            throw ArchiveError(.unsafeEntry, "refusing entry \(shownName): the root of member '\(member.name)' is a symlink, and writing below it would write outside the cache path; the archive is corrupt or hostile and was not used")
        } else if let link = createdSymlinks.linkAbove(rest, in: member.name) {
            throw throughLink("entry \(shownName)", link: link, member: member)
        }
        guard target.count < Int(PATH_MAX) else {
            throw ArchiveError(.unsafeEntry, "refusing entry \(shownName): its destination path is longer than PATH_MAX, which libarchive would handle by changing the working directory of the whole process")
        }

        if let rawLink = archive_entry_hardlink(entry) {
            let linkTarget = try hardLinkTarget(PathBytesSyntax.bytes(ofCString: rawLink), of: shownName, member: member)
            PathBytesSyntax.withCString(linkTarget) { archive_entry_copy_hardlink(entry, $0) }
            hardlinks += 1
        } else {
            let type = archive_entry_filetype(entry)
            switch type {
            case EntryType.regular:
                files += 1
            case EntryType.directory:
                directories += 1
            case EntryType.symlink:
                guard let rawTarget = archive_entry_symlink(entry) else {
                    throw ArchiveError(.unsafeEntry, "refusing symlink \(shownName): it has no target; the archive is corrupt or hostile and was not used")
                }
                let stored = PathBytesSyntax.bytes(ofCString: rawTarget)
                let allowed = try SymlinkTarget.allowed(stored, location: rest, entry: shownName, policy: symlinkPolicy)
                if allowed != stored {
                    PathBytesSyntax.withCString(allowed) { archive_entry_copy_symlink(entry, $0) }
                }
                symlinks += 1
            default:
                warnings.append("skipped \(EntryType.describe(type)) \(shownName): only files, directories and symlinks are restored")
                try spendBudget(size, on: shownName)
                return
            }
        }

        if size > 0 { try checkBudget(adding: size, on: shownName) }
        if replacesCreatedLink {
            // A later entry at a link's own path replaces the link, which was never created.
            pendingSymlinks.removeAll { pending in
                guard pending.path == target else { return false }
                archive_entry_free(pending.entry)
                return true
            }
        }
        PathBytesSyntax.withCString(target) { archive_entry_copy_pathname(entry, $0) }
        let isSymlink = archive_entry_hardlink(entry) == nil && archive_entry_filetype(entry) == EntryType.symlink
        if !rest.isEmpty {
            createdSymlinks.record(rest, in: member.name, isSymlink: isSymlink)
        }
        if isSymlink {
            try postpone(entry, at: target, shownName: shownName)
            extractedMembers.insert(member.name)
            return
        }
        let isHardLink = archive_entry_hardlink(entry) != nil
        let isNewPath = seenPaths.insert(Self.hash(of: target[...])).inserted
        if isNewPath && !isHardLink, let directory = directoryForWorkers(entry, at: target, size: size) {
            try writeInParallel(entry, to: target, in: directory, size: size, shownName: shownName)
            extractedMembers.insert(member.name)
            return
        }
        // A path seen before may be a file still in flight; a hard link's target may be one.
        if !isNewPath || isHardLink { try fileWriter.finishAll() }
        let status = archive_write_header(writer, entry)
        if status == ARCHIVE_WARN {
            warnings.append("while extracting \(shownName): \(LibArchive.message(writer!))")
        } else if status != ARCHIVE_OK {
            throw ArchiveError(.io, "cannot extract entry \(shownName) to \(PathBytesSyntax.display(target)): \(LibArchive.message(writer!))")
        }
        extractedMembers.insert(member.name)
        if !isHardLink && archive_entry_filetype(entry) == EntryType.directory {
            createdDirectories.insert(target)
        } else {
            createdDirectories.remove(target)
        }
        if size > 0 {
            try copyData(of: shownName, to: target)
        }
        // Anything but OK counts: libarchive reports a failed write() (a full disk, a file size
        // limit) as a mere warning, and a restore must never swap in a file that is short or holed.
        if archive_write_finish_entry(writer) != ARCHIVE_OK {
            throw ArchiveError(.io, "cannot finish extracting entry \(shownName) to \(PathBytesSyntax.display(target)): \(LibArchive.message(writer!))")
        }
    }

    /// Streams the entry's data to disk.
    private func copyData(of shownName: String, to target: PathBytes) throws(ArchiveError) {
        try forEachDataBlock(of: shownName) { (block, length, offset) throws(ArchiveError) in
            if length > 0, archive_write_data_block(writer, block, length, offset) != ARCHIVE_OK {
                throw ArchiveError(.io, "cannot write \(PathBytesSyntax.display(target)): \(LibArchive.message(writer!))")
            }
        }
    }

    /// Hands the entry's data to `body` block by block (with each block's
    /// offset in the file), counting against the content limit as bytes
    /// arrive: the header's size is checked too, but a sparse or lying header
    /// must not be the only guard.
    private func forEachDataBlock(
        of shownName: String, _ body: (UnsafeRawPointer?, Int, Int64) throws(ArchiveError) -> Void
    ) throws(ArchiveError) {
        while true {
            var block: UnsafeRawPointer?
            var length = 0
            var offset: Int64 = 0
            let status = archive_read_data_block(reader, &block, &length, &offset)
            if status == ARCHIVE_EOF { return }
            if status < ARCHIVE_WARN { throw readFailure() }
            try spendBudget(Int64(length), on: shownName)
            contentBytes += Int64(length)
            try body(block, length, offset)
            try throttle.tick(progressNow())
        }
    }

    /// A path's hash, over its bytes at once (hashing an array of bytes one
    /// element at a time costs a restore of 40,000 files a noticeable 1 %).
    private static func hash(of path: ArraySlice<UInt8>) -> Int {
        var hasher = Hasher()
        path.withUnsafeBytes { hasher.combine(bytes: $0) }
        return hasher.finalize()
    }

    /// The directory of a new path's entry that can go to the workers, or nil
    /// when libarchive must write it: a plain file, small, not sparse, with no
    /// set-id or sticky bit (libarchive's checks for those stay with
    /// libarchive), in a directory this extraction created.
    private func directoryForWorkers(_ entry: OpaquePointer, at target: PathBytes, size: Int64) -> ArraySlice<UInt8>? {
        guard archive_entry_filetype(entry) == EntryType.regular,
              size >= 0, size <= Self.largestParallelFile,
              archive_entry_sparse_count(entry) == 0,
              archive_entry_perm(entry) & ~0o777 == 0,
              let slash = target.lastIndex(of: PathBytesSyntax.slash) else { return nil }
        let directory = target[..<slash]
        return createdDirectories.contains(Array(directory)) ? directory : nil
    }

    /// Copies a small file's bytes out of the stream and hands the file to
    /// the workers.
    private func writeInParallel(_ entry: OpaquePointer, to target: PathBytes, in directory: ArraySlice<UInt8>,
                                 size: Int64, shownName: String) throws(ArchiveError) {
        let contents = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(size), alignment: 1)
        var filled = 0
        // A gap, or a short end, reads as zeros, as libarchive's disk writer leaves it.
        func zeroFill(upTo end: Int) {
            (contents.baseAddress! + filled).initializeMemory(as: UInt8.self, repeating: 0, count: end - filled)
        }
        do throws(ArchiveError) {
            try forEachDataBlock(of: shownName) { (block, length, offset) throws(ArchiveError) in
                guard offset >= filled, offset + Int64(length) <= size else {
                    throw ArchiveError(.malformedArchive, "archive \(input.name) has data outside the size of entry \(shownName); it is corrupt or hostile and was not used")
                }
                zeroFill(upTo: Int(offset))
                if length > 0 { (contents.baseAddress! + Int(offset)).copyMemory(from: block!, byteCount: length) }
                filled = Int(offset) + length
            }
        } catch {
            contents.deallocate()
            throw error
        }
        zeroFill(upTo: contents.count)
        try fileWriter.write(ParallelFileWriter.File(
            path: target.map { CChar(bitPattern: $0) } + [0],
            directoryHash: Self.hash(of: directory),
            permissions: mode_t(archive_entry_perm(entry)),
            times: Self.times(of: entry),
            contents: contents))
    }

    /// The access and modification times to set, as libarchive's disk writer
    /// sets them: none when the entry has neither, now for the one it lacks.
    private static func times(of entry: OpaquePointer) -> (access: timespec, modification: timespec)? {
        let hasAccess = archive_entry_atime_is_set(entry) != 0
        let hasModification = archive_entry_mtime_is_set(entry) != 0
        guard hasAccess || hasModification else { return nil }
        let now = timespec(tv_sec: 0, tv_nsec: swift_cache_utime_now())
        return (
            hasAccess ? timespec(tv_sec: archive_entry_atime(entry), tv_nsec: archive_entry_atime_nsec(entry)) : now,
            hasModification ? timespec(tv_sec: archive_entry_mtime(entry), tv_nsec: archive_entry_mtime_nsec(entry)) : now)
    }

    /// A hard link may only point at an earlier entry of the same member,
    /// and never at a symlink: a second name for a symlink in another
    /// directory would resolve its relative target from there.
    private func hardLinkTarget(_ raw: PathBytes, of shownName: String, member: MemberTable.Member) throws(ArchiveError) -> PathBytes {
        let shownTarget = PathBytesSyntax.display(raw)
        let components = try EntryName.components(raw, what: "hard link target of entry \(shownName)")
        guard let (linkMember, linkRest) = table.match(components), linkMember.name == member.name else {
            throw ArchiveError(.unsafeEntry, "refusing hard link \(shownName) => '\(shownTarget)': it points outside the cache path '\(member.name)'; the archive is corrupt or hostile and was not used")
        }
        if let link = createdSymlinks.linkAbove(linkRest, in: member.name) {
            throw throughLink("hard link \(shownName) => '\(shownTarget)'", link: link, member: member)
        }
        let path = MemberTable.destinationPath(of: member, rest: linkRest)
        let namesALink = linkRest.isEmpty
            ? membersWithLinkRoot.contains(member.name) : createdSymlinks.isLink(linkRest, in: member.name)
        if namesALink {
            throw ArchiveError(.unsafeEntry, "refusing hard link \(shownName) => '\(shownTarget)': it points at a symlink, which would then resolve from another directory; the archive is corrupt or hostile and was not used")
        }
        return path
    }

    private func throughLink(_ what: String, link: PathBytes, member: MemberTable.Member) -> ArchiveError {
        let shownLink = PathBytesSyntax.display(PathBytesSyntax.join(member.components + [link]))
        return ArchiveError(.unsafeEntry, "refusing \(what): its path goes through the symlink '\(shownLink)' that this archive created, so it could land outside the cache path; the archive is corrupt or hostile and was not used")
    }

    /// Keeps a copy of a symlink entry for `createPendingSymlinks`.
    private func postpone(_ entry: OpaquePointer, at target: PathBytes, shownName: String) throws(ArchiveError) {
        guard let copy = archive_entry_clone(entry) else {
            throw ArchiveError(.io, "cannot extract symlink \(shownName): libarchive could not copy the entry (out of memory?)")
        }
        pendingSymlinks.append((target, shownName, copy))
    }

    /// Creates the symlinks, in archive order, once nothing else is left to
    /// write. libarchive replaces a file that an earlier entry left at the
    /// same path; a directory there is refused instead, since its deferred
    /// mode and times are applied by path when the writer closes.
    private func createPendingSymlinks() throws(ArchiveError) {
        for pending in pendingSymlinks {
            let shownName = pending.shownName
            var info = stat()
            if PathBytesSyntax.withCString(pending.path, { lstat($0, &info) }) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
                throw ArchiveError(.unsafeEntry, "refusing symlink \(shownName): it would replace a directory that the archive created earlier; the archive is corrupt or hostile and was not used")
            }
            let status = archive_write_header(writer, pending.entry)
            if status == ARCHIVE_WARN {
                warnings.append("while extracting symlink \(shownName): \(LibArchive.message(writer!))")
            } else if status != ARCHIVE_OK {
                throw ArchiveError(.io, "cannot create symlink \(shownName): \(LibArchive.message(writer!))")
            }
            if archive_write_finish_entry(writer) != ARCHIVE_OK {
                throw ArchiveError(.io, "cannot finish symlink \(shownName): \(LibArchive.message(writer!))")
            }
            try throttle.tick(progressNow())
        }
    }

    private func checkBudget(adding bytes: Int64, on shownName: String) throws(ArchiveError) {
        let (total, overflow) = budgetUsed.addingReportingOverflow(bytes)
        guard !overflow, total <= limits.maxContentBytes else {
            throw ArchiveError(.limitExceeded, "archive \(input.name) expands to more than \(limits.maxContentBytes) bytes of content (at entry \(shownName)), the extraction limit; it was not used (a decompression bomb, or raise the limit)")
        }
    }

    private func spendBudget(_ bytes: Int64, on shownName: String) throws(ArchiveError) {
        guard bytes > 0 else { return }
        try checkBudget(adding: bytes, on: shownName)
        budgetUsed += bytes
    }

    private func readFailure() -> ArchiveError {
        if let failure = input.failure {
            return ArchiveError(.io, "cannot read archive \(input.name): \(failure)")
        }
        if let decoding = input.decodingFailure {
            return ArchiveError(.malformedArchive, "archive \(input.name) is not a readable tar/zstd archive (\(decoding)); it is corrupt or truncated and was not used")
        }
        let detail = reader.map(LibArchive.message) ?? "unknown error"
        return ArchiveError(.malformedArchive, "archive \(input.name) is not a readable tar/zstd archive (\(detail)); it is corrupt or truncated and was not used")
    }

    private func progressNow() -> ArchiveProgress {
        ArchiveProgress(entries: entries, contentBytes: contentBytes, compressedBytes: input.bytesRead)
    }
}
