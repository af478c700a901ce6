import Foundation
import Testing

@testable import CacheArchive

/// Write a tree, extract it elsewhere, and compare what a build would notice:
/// names, contents, modes, mtimes, links.
@Suite struct RoundTripTests {
    /// node_modules-like tree with every kind of entry a cache holds.
    private func makeTree(at root: String) throws {
        try makeDirectory(root)
        try makeDirectory(root + "/lib")
        try makeDirectory(root + "/lib/deep")
        try makeDirectory(root + "/lib/deep/deeper")
        try makeDirectory(root + "/empty")
        try makeDirectory(root + "/private", mode: 0o700)
        try writeFile(root + "/lib/deep/deeper/data.txt", "nested", mtime: 1_600_000_000)
        try writeFile(root + "/run.sh", "#!/bin/sh\necho hi\n", mode: 0o755, mtime: 1_500_000_000)
        try writeFile(root + "/secret", "s", mode: 0o600)
        try writeFile(root + "/shared", "group", mode: 0o640)
        try writeFile(root + "/private/key", "k", mode: 0o400)
        // Several 1 MiB blocks of incompressible data.
        try shell("head -c 3000000 /dev/urandom > \(quoted(root + "/big.bin"))")
        try makeSymlink(root + "/lib/link-to-data", to: "deep/deeper/data.txt")
        try makeSymlink(root + "/lib/deep/up", to: "../../run.sh")
        try writeFile(root + "/hard-a", "same inode")
        guard link(root + "/hard-a", root + "/lib/hard-b") == 0 else { throw TestFailure("link: \(errno)") }
        try setMtime(root + "/lib/deep", 1_400_000_000)
    }

    @Test func treeSurvivesWithModesTimesAndLinks() throws {
        let temp = try TempDirectory()
        let source = temp.sub("node_modules")
        try makeTree(at: source)
        let archive = temp.sub("cache.tar.zst")

        let written = try ArchiveWriter.write(sources: [.init(name: "checkout/node_modules", path: source)], to: archive)
        let restored = temp.sub("restored")
        let extracted = try ArchiveExtractor.extract(from: FileArchiveInput(path: archive), destinations: ["checkout/node_modules": restored])

        #expect(try listing(restored) == listing(source))
        #expect(contents(restored + "/lib/deep/deeper/data.txt") == "nested")
        #expect(FileManager.default.contents(atPath: restored + "/big.bin") == FileManager.default.contents(atPath: source + "/big.bin"))
        #expect(permissions(restored + "/run.sh") == 0o755)
        #expect(permissions(restored + "/secret") == 0o600)
        #expect(permissions(restored + "/shared") == 0o640)
        #expect(permissions(restored + "/private") == 0o700)
        #expect(permissions(restored + "/private/key") == 0o400)
        #expect(mtime(restored + "/run.sh") == 1_500_000_000)
        #expect(mtime(restored + "/lib/deep/deeper/data.txt") == 1_600_000_000)
        #expect(mtime(restored + "/lib/deep") == 1_400_000_000)
        #expect(fileType(restored + "/empty") == S_IFDIR)
        #expect(linkTarget(restored + "/lib/link-to-data") == "deep/deeper/data.txt")
        #expect(linkTarget(restored + "/lib/deep/up") == "../../run.sh")
        #expect(contents(restored + "/lib/deep/up") == "#!/bin/sh\necho hi\n")
        let a = try #require(fileInfo(restored + "/hard-a"))
        let b = try #require(fileInfo(restored + "/lib/hard-b"))
        #expect(a.st_ino == b.st_ino)
        #expect(a.st_nlink == 2)

        for report in [written, extracted] {
            #expect(report.files == 7)
            #expect(report.hardlinks == 1)
            #expect(report.symlinks == 2)
            #expect(report.directories == 6)
            #expect(report.contentBytes == 3_000_000 + 6 + 18 + 1 + 5 + 1 + 10)
            #expect(report.warnings.isEmpty)
        }
    }

    @Test func twoMembersGoToTheirOwnDestinations() throws {
        let temp = try TempDirectory()
        try makeDirectory(temp.sub("modules"))
        try writeFile(temp.sub("modules/index.js"), "module")
        try makeDirectory(temp.sub("npm-home"))
        try makeDirectory(temp.sub("npm-home/_cacache"))
        try writeFile(temp.sub("npm-home/_cacache/blob"), "blob")
        let archive = temp.sub("two.tar.zst")

        _ = try ArchiveWriter.write(
            sources: [.init(name: "checkout/node_modules", path: temp.sub("modules")), .init(name: "home/.npm", path: temp.sub("npm-home"))],
            to: archive)
        try makeDirectory(temp.sub("stage"))
        let report = try ArchiveExtractor.extract(
            from: FileArchiveInput(path: archive),
            destinations: ["checkout/node_modules": temp.sub("stage/nm"), "home/.npm": temp.sub("stage/npm")])

        #expect(contents(temp.sub("stage/nm/index.js")) == "module")
        #expect(contents(temp.sub("stage/npm/_cacache/blob")) == "blob")
        #expect(try listing(temp.sub("stage")) == ["./nm", "./nm/index.js", "./npm", "./npm/_cacache", "./npm/_cacache/blob"])
        #expect(report.warnings.isEmpty)
    }

    @Test func singleFileMemberBecomesTheDestinationFile() throws {
        let temp = try TempDirectory()
        try writeFile(temp.sub("lockfile"), "lock", mode: 0o604, mtime: 1_234_567_890)
        let archive = temp.sub("file.tar.zst")

        let written = try ArchiveWriter.write(sources: [.init(name: "lock", path: temp.sub("lockfile"))], to: archive)
        let extracted = try ArchiveExtractor.extract(from: FileArchiveInput(path: archive), destinations: ["lock": temp.sub("restored-lock")])

        #expect(contents(temp.sub("restored-lock")) == "lock")
        #expect(permissions(temp.sub("restored-lock")) == 0o604)
        #expect(mtime(temp.sub("restored-lock")) == 1_234_567_890)
        #expect(written.files == 1 && extracted.files == 1 && extracted.directories == 0)
    }

    @Test func symlinkMemberIsStoredAsALinkNotFollowed() throws {
        let temp = try TempDirectory()
        try makeDirectory(temp.sub("real"))
        try writeFile(temp.sub("real/file"), "not stored")
        try makeSymlink(temp.sub("alias"), to: "real")
        let archive = temp.sub("link.tar.zst")

        let written = try ArchiveWriter.write(sources: [.init(name: "alias", path: temp.sub("alias"))], to: archive)
        try makeDirectory(temp.sub("stage"))
        _ = try ArchiveExtractor.extract(from: FileArchiveInput(path: archive), destinations: ["alias": temp.sub("stage/alias")])

        #expect(written.symlinks == 1 && written.files == 0)
        #expect(linkTarget(temp.sub("stage/alias")) == "real")
    }

    @Test func namesThatAreNotUTF8SurviveByteForByte() throws {
        let temp = try TempDirectory()
        try makeDirectory(temp.sub("src"))
        // "caf\xe9" (Latin-1) is not valid UTF-8; "ü" is.
        let latin1: [UInt8] = Array((temp.sub("src/caf")).utf8) + [0xE9, 0]
        let fd = latin1.withUnsafeBufferPointer { open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_CREAT | O_WRONLY, 0o644) }
        #expect(fd >= 0)
        close(fd)
        try writeFile(temp.sub("src/über.txt"), "umlaut")
        let archive = temp.sub("names.tar.zst")

        let written = try ArchiveWriter.write(sources: [.init(name: "m", path: temp.sub("src"))], to: archive)
        let report = try ArchiveExtractor.extract(from: FileArchiveInput(path: archive), destinations: ["m": temp.sub("out")])

        let names = try shell("ls \(quoted(temp.sub("out"))) | od -An -c | tr -s ' '")
        #expect(names.contains("c a f 351"))
        #expect(contents(temp.sub("out/über.txt")) == "umlaut")
        #expect(report.files == 2)
        // The Latin-1 name cannot be written as UTF-8 and says so; it is
        // stored as raw bytes and restored as such.
        #expect(written.warnings.count == 1)
        #expect(written.warnings.first?.contains("to UTF-8") == true)
        #expect(report.warnings.isEmpty)
    }

    /// Restores run side by side in one process; nothing may depend on the
    /// working directory or on another extraction's state.
    @Test func concurrentExtractionsDoNotInterfere() async throws {
        let temp = try TempDirectory()
        var archives: [String] = []
        for index in 0..<4 {
            let source = temp.sub("src\(index)")
            try makeTree(at: source)
            try writeFile(source + "/which", "\(index)")
            archives.append(temp.sub("a\(index).tar.zst"))
            _ = try ArchiveWriter.write(sources: [.init(name: "m", path: source)], to: archives[index], options: .init(threads: 1))
        }
        let paths = temp.path
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, archive) in archives.enumerated() {
                group.addTask {
                    _ = try ArchiveExtractor.extract(from: FileArchiveInput(path: archive), destinations: ["m": paths + "/out\(index)"])
                }
            }
            try await group.waitForAll()
        }
        for index in 0..<4 {
            #expect(contents(temp.sub("out\(index)/which")) == "\(index)")
            #expect(try listing(temp.sub("out\(index)")) == listing(temp.sub("src\(index)")))
        }
    }
}
