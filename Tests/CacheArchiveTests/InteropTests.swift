import Foundation
import Testing

@testable import CacheArchive

/// Archives must stay plain tar+zstd: an operator can inspect or unpack a
/// blob with stock tools, and archives made by them restore too.
@Suite struct InteropTests {
    @Test func gnuTarAndZstdReadOurArchives() throws {
        let temp = try TempDirectory()
        try makeDirectory(temp.sub("src"))
        try makeDirectory(temp.sub("src/dir"))
        try writeFile(temp.sub("src/dir/tool"), "#!/bin/sh\n", mode: 0o755, mtime: 1_700_000_000)
        try writeFile(temp.sub("src/dir/naïve"), "utf-8")
        try makeSymlink(temp.sub("src/link"), to: "dir/tool")
        let archive = temp.sub("ours.tar.zst")
        _ = try ArchiveWriter.write(sources: [.init(name: "checkout/node_modules", path: temp.sub("src"))], to: archive)

        // 2>&1: GNU tar warns on stderr about pax records it does not know.
        let listingText = try shell("zstd -dc \(quoted(archive)) | tar -tvf - 2>&1")
        let names = listingText.split(separator: "\n").map { String($0.split(separator: " ", omittingEmptySubsequences: true)[5]) }.sorted()
        #expect(names == [
            "checkout/node_modules/", "checkout/node_modules/dir/", "checkout/node_modules/dir/naïve",
            "checkout/node_modules/dir/tool", "checkout/node_modules/link",
        ])

        try makeDirectory(temp.sub("unpacked"))
        #expect(try shell("zstd -dc \(quoted(archive)) | tar -xf - -C \(quoted(temp.sub("unpacked"))) 2>&1") == "")
        let tool = temp.sub("unpacked/checkout/node_modules/dir/tool")
        #expect(contents(tool) == "#!/bin/sh\n")
        #expect(permissions(tool) == 0o755)
        #expect(mtime(tool) == 1_700_000_000)
        #expect(linkTarget(temp.sub("unpacked/checkout/node_modules/link")) == "dir/tool")
        #expect(contents(temp.sub("unpacked/checkout/node_modules/dir/naïve")) == "utf-8")
    }

    @Test func weExtractWhatGnuTarAndZstdWrite() throws {
        let temp = try TempDirectory()
        try makeDirectory(temp.sub("root"))
        try makeDirectory(temp.sub("root/home"))
        try makeDirectory(temp.sub("root/home/.npm"))
        try makeDirectory(temp.sub("root/home/.npm/sub"))
        try writeFile(temp.sub("root/home/.npm/sub/f"), "from gnu tar", mode: 0o751, mtime: 1_650_000_000)
        try writeFile(temp.sub("root/home/.npm/über"), "utf-8 name")
        try makeSymlink(temp.sub("root/home/.npm/l"), to: "sub/f")
        try shell("ln \(quoted(temp.sub("root/home/.npm/sub/f"))) \(quoted(temp.sub("root/home/.npm/hard")))")
        let archive = temp.sub("gnu.tar.zst")
        try shell("cd \(quoted(temp.sub("root"))) && tar --format=pax -cf - home/.npm | zstd -q -T0 -3 -o \(quoted(archive))")

        let report = try ArchiveExtractor.extract(from: FileArchiveInput(path: archive), destinations: ["home/.npm": temp.sub("out")])

        #expect(try listing(temp.sub("out")) == listing(temp.sub("root/home/.npm")))
        #expect(contents(temp.sub("out/sub/f")) == "from gnu tar")
        #expect(permissions(temp.sub("out/sub/f")) == 0o751)
        #expect(mtime(temp.sub("out/sub/f")) == 1_650_000_000)
        #expect(linkTarget(temp.sub("out/l")) == "sub/f")
        #expect(fileInfo(temp.sub("out/hard"))?.st_ino == fileInfo(temp.sub("out/sub/f"))?.st_ino)
        #expect(contents(temp.sub("out/über")) == "utf-8 name")
        #expect(report.hardlinks == 1)
        #expect(report.warnings.isEmpty)
    }

    @Test(arguments: [(1, 0), (19, 2)])
    func everyCompressionSettingWritesPlainZstd(level: Int, threads: Int) throws {
        let temp = try TempDirectory()
        try writeFile(temp.sub("f"), String(repeating: "compress me ", count: 50_000))
        let archive = temp.sub("a.tar.zst")

        let report = try ArchiveWriter.write(
            sources: [.init(name: "f", path: temp.sub("f"))], to: archive, options: .init(compressionLevel: level, threads: threads))

        #expect(try shell("zstd -t \(quoted(archive)) 2>&1; echo ok").hasSuffix("ok\n"))
        #expect(try shell("zstd -dc \(quoted(archive)) | tar -xOf - f") == String(repeating: "compress me ", count: 50_000))
        #expect(report.compressedBytes < 10_000)
    }

    /// The writer compresses with small multi-threaded jobs (to bound its
    /// memory); a tree larger than several jobs must still be one plain zstd
    /// frame that zstd, tar and our extractor all read back byte for byte.
    @Test(arguments: [0, 2])
    func manyCompressionJobsMakeOnePlainFrame(threads: Int) throws {
        let temp = try TempDirectory()
        try makeDirectory(temp.sub("tree"))
        try shell("head -c 3000000 /dev/urandom > \(quoted(temp.sub("tree/random")))")
        try shell("yes 'module.exports = require(\"./lib\");' | head -c 6000000 > \(quoted(temp.sub("tree/text")))")
        for i in 0..<200 {
            try writeFile(temp.sub("tree/small-\(i).js"), String(repeating: "var x\(i) = \(i);\n", count: i + 1))
        }
        let archive = temp.sub("a.tar.zst")

        let written = try ArchiveWriter.write(
            sources: [.init(name: "tree", path: temp.sub("tree"))], to: archive, options: .init(compressionLevel: 3, threads: threads))

        #expect(try shell("zstd -lv \(quoted(archive)) 2>&1").contains("# Zstandard Frames: 1"))
        #expect(try shell("sha256sum \(quoted(archive))").hasPrefix(written.sha256))
        try makeDirectory(temp.sub("by-tar"))
        try shell("zstd -dc \(quoted(archive)) | tar -xf - -C \(quoted(temp.sub("by-tar")))")
        try shell("diff -r \(quoted(temp.sub("tree"))) \(quoted(temp.sub("by-tar/tree")))")
        let extracted = try ArchiveExtractor.extract(from: FileArchiveInput(path: archive), destinations: ["tree": temp.sub("ours")])
        #expect(extracted.sha256 == written.sha256)
        #expect(extracted.contentBytes == written.contentBytes)
        try shell("diff -r \(quoted(temp.sub("tree"))) \(quoted(temp.sub("ours")))")
    }
}
