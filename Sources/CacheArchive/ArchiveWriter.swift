import CArchive

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes cache archives: pax tar, zstd-compressed, hashed as written.
public enum ArchiveWriter {
    /// Creates `outputPath` (it must not exist; opened with O_EXCL), stores
    /// every source under its member name, fsyncs the file and returns the
    /// report, whose `sha256` is of the file exactly as written.
    ///
    /// On any error the partial output file is removed, so a failed save
    /// never leaves something that looks like a finished archive.
    public static func write(
        sources: [ArchiveSource],
        to outputPath: String,
        options: ArchiveOptions = .init(),
        progress: (@Sendable (ArchiveProgress) -> Void)? = nil,
        isCancelled: @escaping @Sendable () -> Bool = { false }
    ) throws(ArchiveError) -> ArchiveReport {
        try validate(sources: sources, outputPath: outputPath, options: options)
        // pax stores non-ASCII names as UTF-8, translated from the locale;
        // in the C locale of a Swift process every such name would fail.
        return try POSIX.withUTF8Locale { () throws(ArchiveError) in
            try writeArchive(sources: sources, to: outputPath, options: options, progress: progress, isCancelled: isCancelled)
        }
    }

    private static func writeArchive(
        sources: [ArchiveSource], to outputPath: String, options: ArchiveOptions,
        progress: (@Sendable (ArchiveProgress) -> Void)?, isCancelled: @escaping @Sendable () -> Bool
    ) throws(ArchiveError) -> ArchiveReport {
        let fd = open(outputPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let code = errno
            if code == EEXIST {
                throw ArchiveError(.invalidRequest, "cannot write archive \(outputPath): the file already exists; write to a new temporary name")
            }
            throw ArchiveError(.io, "cannot create archive \(outputPath): \(POSIX.errorText(code))")
        }
        var finished = false
        defer {
            if !finished {
                close(fd)
                unlink(outputPath)
            }
        }

        let output = HashingFileOutput(
            fd: fd, path: outputPath,
            compressor: try ZstdStreamCompressor(level: options.compressionLevel, threads: options.threads),
            isCancelled: isCancelled)
        guard let archive = archive_write_new() else {
            throw ArchiveError(.io, "cannot write archive \(outputPath): libarchive could not allocate a writer (out of memory?)")
        }
        // Declared after the file cleanup so it runs first: freeing flushes
        // libarchive's buffers into the file before the file is removed, and
        // `output` (libarchive holds it unretained) must live until then.
        defer { withExtendedLifetime(output) { _ = archive_write_free(archive) } }

        try configure(archive, outputPath: outputPath)
        try check(output.open(on: archive), archive, output, "cannot start writing archive \(outputPath)")

        let archiver = SourceArchiver(
            archive: archive, output: output, throttle: ProgressThrottle(progress, isCancelled: isCancelled),
            outputIdentity: try identity(of: fd, path: outputPath), symlinkPolicy: options.symlinks)
        for source in sources {
            try archiver.add(source)
        }

        try check(archive_write_close(archive), archive, output, "cannot finish archive \(outputPath)")
        try output.finish()
        guard fsync(fd) == 0 else {
            throw ArchiveError(.io, "cannot flush archive \(outputPath) to disk: \(POSIX.errorText(errno))")
        }
        finished = true
        guard close(fd) == 0 else {
            let code = errno
            unlink(outputPath)
            throw ArchiveError(.io, "cannot close archive \(outputPath): \(POSIX.errorText(code))")
        }

        let report = ArchiveReport(
            sha256: output.finalizeDigest(), compressedBytes: output.bytesWritten,
            contentBytes: archiver.contentBytes, files: archiver.files, directories: archiver.directories,
            symlinks: archiver.symlinks, hardlinks: archiver.hardlinks, warnings: archiver.warnings)
        archiver.throttle.finish(
            ArchiveProgress(entries: archiver.entries, contentBytes: report.contentBytes, compressedBytes: report.compressedBytes))
        return report
    }

    private static func validate(sources: [ArchiveSource], outputPath: String, options: ArchiveOptions) throws(ArchiveError) {
        guard !sources.isEmpty else {
            throw ArchiveError(.invalidRequest, "nothing to archive into \(outputPath): the list of cache paths is empty")
        }
        _ = try MemberName.validateSet(sources.map(\.name), role: "the cache sources")
        for source in sources {
            guard source.path.hasPrefix("/") else {
                throw ArchiveError(.invalidRequest, "cache path '\(source.path)' (member '\(source.name)') is not absolute; resolve it against the working directory first")
            }
            guard try POSIX.lstatIfExists(source.path) != nil else {
                throw ArchiveError(.invalidRequest, "cache path \(source.path) (member '\(source.name)') does not exist; nothing to save for it")
            }
        }
        guard (1...22).contains(options.compressionLevel) else {
            throw ArchiveError(.invalidRequest, "zstd compression level \(options.compressionLevel) is out of range; use 1...22 (3 is a good default)")
        }
        guard options.threads >= 0 else {
            throw ArchiveError(.invalidRequest, "zstd thread count \(options.threads) is negative; use 0 (no workers) or more")
        }
    }

    private static func configure(_ archive: OpaquePointer, outputPath: String) throws(ArchiveError) {
        // pax: a ustar header per entry, plus a pax extension with the mtime
        // to the nanosecond when it has a fraction (restricted pax would
        // drop it, and build tools compare mtimes). atime and ctime are
        // cleared per entry so the extension holds only the mtime; the
        // repeated records compress to almost nothing. No libarchive filter:
        // the output compresses the tar stream itself (see ZstdStreamCompressor).
        guard archive_write_set_format_pax(archive) == ARCHIVE_OK else {
            throw ArchiveError(.io, "cannot set up pax output for \(outputPath): \(LibArchive.message(archive))")
        }
        // No blocking: libarchive hands every header and piece of file data
        // straight to the output, which gathers them into its compression
        // chunks anyway, instead of first copying all of it into a block of
        // its own; and it pads nothing at the end (zeros only to compress).
        archive_write_set_bytes_per_block(archive, 0)
    }

    private static func identity(of fd: Int32, path: String) throws(ArchiveError) -> (dev: UInt64, ino: UInt64) {
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw ArchiveError(.io, "cannot inspect archive \(path): \(POSIX.errorText(errno))")
        }
        return (UInt64(info.st_dev), UInt64(info.st_ino))
    }

    /// Turns a libarchive status below WARN into an error, preferring what
    /// our own write callback knows (its errno, a cancellation, zstd's error),
    /// which says what actually went wrong. `what` is built only for an error:
    /// this runs twice per entry.
    static func check(_ status: Int32, _ archive: OpaquePointer, _ output: HashingFileOutput,
                      _ what: @autoclosure () -> String) throws(ArchiveError) {
        guard status < ARCHIVE_WARN else { return }
        let what = what()
        if let code = output.failure {
            throw ArchiveError(.io, "\(what): writing \(output.path) failed: \(POSIX.errorText(code))")
        }
        if let cancellation = output.cancellation { throw cancellation }
        if let problem = output.compressionFailure {
            throw ArchiveError(.io, "\(what): zstd compression failed: \(problem)")
        }
        throw ArchiveError(.io, "\(what): \(LibArchive.message(archive))")
    }
}
