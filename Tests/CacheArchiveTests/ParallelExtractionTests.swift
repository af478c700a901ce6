import Foundation
import Testing

@testable import CacheArchive

/// Small files are created by worker threads (`ParallelFileWriter`) while the tar stream is read
/// on. These archives put an entry where it could race with a file still in flight (the same
/// path again, a hard link to it, a directory in its place), or where a worker's file must come
/// out exactly as libarchive would have written it.
@Suite struct ParallelExtractionTests {
    let temp: TempDirectory
    let archive: String
    /// Where the member is restored: `<temp>/stage/m`.
    let destination: String

    init() throws {
        temp = try TempDirectory()
        archive = temp.sub("archive.tar.zst")
        try makeDirectory(temp.sub("stage"))
        destination = temp.sub("stage/m")
    }

    private func extract() throws -> ArchiveReport {
        try ArchiveExtractor.extract(from: FileArchiveInput(path: archive), destinations: ["m": destination])
    }

    @Test func modesAreExactWhateverTheUmaskAndTimesKeepTheirNanoseconds() throws {
        let source = temp.sub("source")
        try makeDirectory(source)
        try makeDirectory(source + "/read-only", mode: 0o755)
        let modes: [String: mode_t] = ["all": 0o777, "rw-all": 0o666, "none": 0o000, "odd": 0o604, "read-only/inside": 0o644]
        for (name, mode) in modes {
            try writeFile(source + "/" + name, name, mode: mode)
            // After the write: 0o000 is set last.
            chmod(source + "/" + name, mode)
        }
        try writeFile(source + "/empty", "", mode: 0o640)
        var times = [timespec(tv_sec: 1_500_000_000, tv_nsec: 123_456_789), timespec(tv_sec: 1_600_000_000, tv_nsec: 987_654_321)]
        #expect(utimensat(AT_FDCWD, source + "/odd", &times, 0) == 0)
        // Files are written into a directory the archive lists as read-only: its mode comes last.
        chmod(source + "/read-only", 0o555)
        let previous = umask(0o022)
        defer { umask(previous) }

        _ = try ArchiveWriter.write(sources: [.init(name: "m", path: source)], to: archive)
        let report = try extract()

        #expect(report.files == modes.count + 1)
        #expect(contents(destination + "/empty") == "")
        #expect(permissions(destination + "/empty") == 0o640)
        for (name, mode) in modes {
            #expect(permissions(destination + "/" + name) == mode, "\(name)")
            #expect(contents(destination + "/" + name) == name)
        }
        #expect(permissions(destination + "/read-only") == 0o555)
        let odd = try #require(fileInfo(destination + "/odd"))
        #expect(odd.st_mtim.tv_sec == 1_600_000_000)
        #expect(odd.st_mtim.tv_nsec == 987_654_321)
    }

    @Test func aPathSeenAgainGetsItsLastEntry() throws {
        try pythonArchive(at: archive, """
        entry("m", tarfile.DIRTYPE, mode=0o755)
        entry("m/a", data=b"first")
        entry("m/a", data=b"second, longer")
        entry("m/b", data=b"only")
        """)
        _ = try extract()
        #expect(contents(destination + "/a") == "second, longer")
        #expect(contents(destination + "/b") == "only")
    }

    @Test func aDirectoryEntryReplacesAFileOfItsPath() throws {
        try pythonArchive(at: archive, """
        entry("m", tarfile.DIRTYPE, mode=0o755)
        entry("m/x", data=b"a file first")
        entry("m/x", tarfile.DIRTYPE, mode=0o755)
        entry("m/x/y", data=b"below")
        """)
        _ = try extract()
        #expect(fileType(destination + "/x") == S_IFDIR)
        #expect(contents(destination + "/x/y") == "below")
    }

    @Test func aHardLinkFindsTheFileItNames() throws {
        try pythonArchive(at: archive, """
        entry("m", tarfile.DIRTYPE, mode=0o755)
        entry("m/a", data=b"shared")
        entry("m/b", tarfile.LNKTYPE, link="m/a")
        """)
        let report = try extract()
        let a = try #require(fileInfo(destination + "/a"))
        let b = try #require(fileInfo(destination + "/b"))
        #expect(a.st_ino == b.st_ino)
        #expect(contents(destination + "/b") == "shared")
        #expect(report.hardlinks == 1)
    }

    @Test func filesInADirectoryWithoutAnEntryOfItsOwnAreWritten() throws {
        try pythonArchive(at: archive, """
        entry("m", tarfile.DIRTYPE, mode=0o755)
        entry("m/sub/f", data=b"f")
        entry("m/sub/g", data=b"g")
        entry("m/sub/deeper/h", data=b"h")
        """)
        _ = try extract()
        #expect(contents(destination + "/sub/f") == "f")
        #expect(contents(destination + "/sub/g") == "g")
        #expect(contents(destination + "/sub/deeper/h") == "h")
    }

    @Test func aFileNoWorkerCanCreateFailsTheExtractionAndLeavesNothing() throws {
        // A name longer than NAME_MAX: open() fails with ENAMETOOLONG on the worker.
        let long = String(repeating: "n", count: 300)
        try pythonArchive(at: archive, """
        entry("m", tarfile.DIRTYPE, mode=0o755)
        entry("m/fine", data=b"ok")
        entry("m/\(long)", data=b"too long a name")
        entry("m/after", data=b"ok")
        """)
        let error = extractionError(archive, ["m": destination])
        #expect(error?.kind == .io)
        #expect(error?.message.contains(long) == true, "message: \(error?.message ?? "none")")
        #expect(!exists(destination))
    }

    @Test func theWriterReportsAWorkersFailureAndTakesNoMoreFiles() throws {
        let writer = ParallelFileWriter(workers: 2)
        defer { writer.shutdown() }
        try writer.write(file(temp.sub("missing-directory/f"), "x"))
        #expect(throws: ArchiveError.self) { try writer.finishAll() }
        do {
            try writer.write(file(temp.sub("g"), "y"))
            Issue.record("a write after a failure was taken")
        } catch {
            #expect(error.kind == .io)
            #expect(error.message.contains("missing-directory/f"))
        }
        #expect(!exists(temp.sub("g")))
    }

    @Test(arguments: [16, ParallelFileWriter.maximumHeldBytes])
    func manyFilesInManyDirectoriesAreAllWrittenWhateverTheBoundOnHeldBytes(heldLimit: Int) throws {
        let writer = ParallelFileWriter(workers: 3, heldLimit: heldLimit)
        defer { writer.shutdown() }
        for directory in 0 ..< 7 { try makeDirectory(temp.sub("d\(directory)")) }
        let paths = (0 ..< 700).map { temp.sub("d\($0 % 7)/f\($0)") }
        for (index, path) in paths.enumerated() {
            try writer.write(file(path, "file \(index)"))
        }
        try writer.finishAll()
        for (index, path) in paths.enumerated() {
            #expect(contents(path) == "file \(index)")
        }
    }

    @Test func shutdownDropsWhatNoWorkerTookAndWritesNothingAfter() throws {
        let writer = ParallelFileWriter(workers: 1)
        for index in 0 ..< 50 {
            try writer.write(file(temp.sub("f\(index)"), "file \(index)"))
        }
        writer.shutdown()
        let written = try listing(temp.path).filter { $0.hasPrefix("./f") }.count
        // Nothing appears once shutdown returned.
        #expect(try listing(temp.path).filter { $0.hasPrefix("./f") }.count == written)
        #expect(throws: ArchiveError.self) { try writer.write(file(temp.sub("late"), "z")) }
        #expect(!exists(temp.sub("late")))
    }

    private func file(_ path: String, _ text: String) -> ParallelFileWriter.File {
        let bytes = Array(text.utf8)
        let contents = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
        contents.copyBytes(from: bytes)
        return ParallelFileWriter.File(
            path: path.utf8CString.map { $0 }, directoryHash: (path as NSString).deletingLastPathComponent.hashValue,
            permissions: 0o644, times: nil, contents: contents)
    }
}
