import Foundation
import Testing

@testable import CacheArchive

/// Things a cache cannot or need not hold are skipped with a warning,
/// without failing the save or the restore.
@Suite struct SkippedEntryTests {
    @Test func writerSkipsAFifoWithAWarning() throws {
        let temp = try TempDirectory()
        try makeDirectory(temp.sub("src"))
        try writeFile(temp.sub("src/kept"), "kept")
        #expect(mkfifo(temp.sub("src/pipe"), 0o644) == 0)
        let archive = temp.sub("fifo.tar.zst")

        let report = try ArchiveWriter.write(sources: [.init(name: "m", path: temp.sub("src"))], to: archive)

        #expect(report.files == 1)
        #expect(report.warnings.count == 1)
        #expect(report.warnings.first?.contains("skipped FIFO \(temp.sub("src/pipe"))") == true)
        #expect(try shell("zstd -dc \(quoted(archive)) | tar -tf - | sort") == "m/\nm/kept\n")
    }

    @Test func extractorSkipsDevicesFifosAndSocketsInTheArchive() throws {
        let temp = try TempDirectory()
        let archive = temp.sub("special.tar.zst")
        try pythonArchive(at: archive, """
            entry("m/kept", data=b"kept")
            entry("m/null", tarfile.CHRTYPE)
            entry("m/disk", tarfile.BLKTYPE)
            entry("m/pipe", tarfile.FIFOTYPE)
            """)

        let report = try ArchiveExtractor.extract(from: FileArchiveInput(path: archive), destinations: ["m": temp.sub("out")])

        #expect(try listing(temp.sub("out")) == ["./kept"])
        #expect(report.warnings.count == 3)
        #expect(report.warnings.contains { $0.contains("character device 'm/null'") })
        #expect(report.warnings.contains { $0.contains("FIFO 'm/pipe'") })
    }

    @Test func unknownMembersAreSkippedWithOneWarningEach() throws {
        let temp = try TempDirectory()
        let archive = temp.sub("extra.tar.zst")
        try pythonArchive(at: archive, """
            entry("checkout/node_modules/a", data=b"wanted")
            entry("checkout/vendor/x", data=b"")
            entry("checkout/vendor/y", data=b"")
            entry("home/.npm/z", data=b"")
            entry("home/.npm/w", data=b"")
            """)

        let report = try ArchiveExtractor.extract(from: FileArchiveInput(path: archive), destinations: ["checkout/node_modules": temp.sub("nm")])

        #expect(contents(temp.sub("nm/a")) == "wanted")
        #expect(report.files == 1)
        #expect(report.warnings.count == 2)
        #expect(report.warnings.contains { $0.contains("'checkout/vendor'") })
        #expect(report.warnings.contains { $0.contains("'home'") })
        #expect(try listing(temp.path) == ["./extra.tar.zst", "./extra.tar.zst.py", "./nm", "./nm/a"])
    }

    @Test func hostileNameInAnUnknownMemberIsStillAnError() throws {
        let temp = try TempDirectory()
        let archive = temp.sub("mixed.tar.zst")
        try pythonArchive(at: archive, """
            entry("m/ok", data=b"ok")
            entry("other/../../evil", data=b"pwned")
            """)

        let error = extractionError(archive, ["m": temp.sub("out")])

        #expect(error?.kind == .unsafeEntry)
        #expect(!exists(temp.sub("out")))
    }

    @Test func memberMissingFromTheArchiveIsReported() throws {
        let temp = try TempDirectory()
        try writeFile(temp.sub("f"), "f")
        let archive = temp.sub("one.tar.zst")
        _ = try ArchiveWriter.write(sources: [.init(name: "present", path: temp.sub("f"))], to: archive)

        let report = try ArchiveExtractor.extract(
            from: FileArchiveInput(path: archive), destinations: ["present": temp.sub("p"), "absent": temp.sub("a")])

        #expect(contents(temp.sub("p")) == "f")
        #expect(!exists(temp.sub("a")))
        #expect(report.warnings.isEmpty)
        #expect(report.missingMembers == ["absent"])
    }

    @Test func hardLinkAcrossMembersIsStoredAsTwoFiles() throws {
        let temp = try TempDirectory()
        try makeDirectory(temp.sub("one"))
        try makeDirectory(temp.sub("two"))
        try writeFile(temp.sub("one/f"), "shared inode")
        #expect(link(temp.sub("one/f"), temp.sub("two/f")) == 0)
        let archive = temp.sub("cross.tar.zst")

        let written = try ArchiveWriter.write(
            sources: [.init(name: "one", path: temp.sub("one")), .init(name: "two", path: temp.sub("two"))], to: archive)
        let extracted = try ArchiveExtractor.extract(from: FileArchiveInput(path: archive), destinations: ["one": temp.sub("o1"), "two": temp.sub("o2")])

        #expect(written.hardlinks == 0 && written.files == 2)
        #expect(extracted.hardlinks == 0 && extracted.files == 2)
        #expect(contents(temp.sub("o1/f")) == "shared inode")
        #expect(contents(temp.sub("o2/f")) == "shared inode")
    }
}
