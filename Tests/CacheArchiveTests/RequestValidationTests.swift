import Foundation
import Testing

@testable import CacheArchive

/// Mistakes in the request fail before any work, and a failed write never
/// leaves a file that could pass for an archive.
@Suite struct RequestValidationTests {
    @Test func existingOutputIsNeitherOverwrittenNorRemoved() throws {
        let temp = try TempDirectory()
        try writeFile(temp.sub("f"), "f")
        try writeFile(temp.sub("out.tar.zst"), "someone else's file")

        #expect { try ArchiveWriter.write(sources: [.init(name: "m", path: temp.sub("f"))], to: temp.sub("out.tar.zst")) }
            throws: { ($0 as? ArchiveError)?.kind == .invalidRequest && "\($0)".contains("already exists") }
        #expect(contents(temp.sub("out.tar.zst")) == "someone else's file")
    }

    @Test func partialOutputIsRemovedWhenWritingFails() throws {
        let temp = try TempDirectory()
        try makeDirectory(temp.sub("src"))
        try writeFile(temp.sub("src/a"), String(repeating: "x", count: 2_000_000))
        let output = temp.sub("partial.tar.zst")

        // /proc/self/mem lists as an empty regular file but every read at
        // offset 0 fails with EIO: a read error after output has begun.
        #expect {
            try ArchiveWriter.write(
                sources: [.init(name: "m", path: temp.sub("src")), .init(name: "broken", path: "/proc/self/mem")], to: output)
        } throws: { ($0 as? ArchiveError)?.kind == .io && "\($0)".contains("/proc/self/mem") }
        #expect(!exists(output))
    }

    @Test(arguments: ["", "/abs", "a/../b", "a//b", "./a", "a/"])
    func badMemberNamesAreRejectedBeforeWriting(name: String) throws {
        let temp = try TempDirectory()
        try writeFile(temp.sub("f"), "f")

        #expect { try ArchiveWriter.write(sources: [.init(name: name, path: temp.sub("f"))], to: temp.sub("o")) }
            throws: { ($0 as? ArchiveError)?.kind == .invalidRequest }
        #expect(!exists(temp.sub("o")))
    }

    @Test(arguments: [ArchiveOptions(compressionLevel: 0), ArchiveOptions(compressionLevel: 23), ArchiveOptions(threads: -1)])
    func outOfRangeCompressionOptionsAreRejected(options: ArchiveOptions) throws {
        let temp = try TempDirectory()
        try writeFile(temp.sub("f"), "f")

        #expect { try ArchiveWriter.write(sources: [.init(name: "m", path: temp.sub("f"))], to: temp.sub("o"), options: options) }
            throws: { ($0 as? ArchiveError)?.kind == .invalidRequest }
        #expect(!exists(temp.sub("o")))
    }

    @Test func overlappingMemberNamesAreRejected() throws {
        let temp = try TempDirectory()
        try writeFile(temp.sub("f"), "f")
        let sources: [ArchiveSource] = [.init(name: "checkout", path: temp.sub("f")), .init(name: "checkout/x", path: temp.sub("f"))]

        #expect { try ArchiveWriter.write(sources: sources, to: temp.sub("o")) }
            throws: { "\($0)".contains("overlap") }
        #expect { try ArchiveExtractor.extract(from: FileArchiveInput(path: temp.sub("o")), destinations: ["a": temp.sub("1"), "a/b": temp.sub("2")]) }
            throws: { "\($0)".contains("overlap") }
    }

    @Test func missingOrRelativeSourcesAreRejected() throws {
        let temp = try TempDirectory()
        #expect { try ArchiveWriter.write(sources: [.init(name: "m", path: temp.sub("missing"))], to: temp.sub("o")) }
            throws: { "\($0)".contains("does not exist") }
        #expect { try ArchiveWriter.write(sources: [.init(name: "m", path: "relative/path")], to: temp.sub("o")) }
            throws: { "\($0)".contains("not absolute") }
        #expect(!exists(temp.sub("o")))
    }

    @Test func destinationMustNotExistAndItsParentMust() throws {
        let temp = try TempDirectory()
        try writeFile(temp.sub("f"), "f")
        let archive = temp.sub("a.tar.zst")
        _ = try ArchiveWriter.write(sources: [.init(name: "m", path: temp.sub("f"))], to: archive)
        try makeDirectory(temp.sub("taken"))
        try writeFile(temp.sub("taken/keep"), "keep")

        #expect { try ArchiveExtractor.extract(from: FileArchiveInput(path: archive), destinations: ["m": temp.sub("taken")]) }
            throws: { ($0 as? ArchiveError)?.kind == .invalidRequest && "\($0)".contains("already exists") }
        #expect(contents(temp.sub("taken/keep")) == "keep")
        #expect { try ArchiveExtractor.extract(from: FileArchiveInput(path: archive), destinations: ["m": temp.sub("no/such/parent")]) }
            throws: { ($0 as? ArchiveError)?.kind == .invalidRequest }
        #expect { try ArchiveExtractor.extract(from: FileArchiveInput(path: archive), destinations: ["m": "relative"]) }
            throws: { ($0 as? ArchiveError)?.kind == .invalidRequest }
    }

    /// libarchive's SECURE_SYMLINKS refuses every symlink on the way, so a
    /// checkout reached through a symlinked directory must still work.
    @Test func destinationBelowASymlinkedDirectoryWorks() throws {
        let temp = try TempDirectory()
        try makeDirectory(temp.sub("real"))
        try makeSymlink(temp.sub("via-link"), to: "real")
        try makeDirectory(temp.sub("src"))
        try writeFile(temp.sub("src/f"), "through a link")
        let archive = temp.sub("a.tar.zst")
        _ = try ArchiveWriter.write(sources: [.init(name: "m", path: temp.sub("src"))], to: archive)

        _ = try ArchiveExtractor.extract(from: FileArchiveInput(path: archive), destinations: ["m": temp.sub("via-link/out")])

        #expect(contents(temp.sub("real/out/f")) == "through a link")
    }
}
