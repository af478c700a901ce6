import CacheYAML
import Foundation
import Testing

@Suite struct FileLoadingTests {
    private func withTemporaryDirectory(_ body: (URL) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("CacheYAMLTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try body(directory)
    }

    @Test func loadsAFileAndNamesItInErrors() throws {
        try withTemporaryDirectory { directory in
            let good = directory.appendingPathComponent("cache.yml")
            try Data("dependencies:\n  - id: gems\n".utf8).write(to: good)
            let root = try #require(try YAMLLoader.load(contentsOfFile: good.path))
            #expect(root["dependencies"]?.sequence?.first?["id"]?.string == "gems")

            let bad = directory.appendingPathComponent("bad.yml")
            try Data("a: 1\na: 2\n".utf8).write(to: bad)
            let error = try #require(throws: YAMLError.self) { try YAMLLoader.load(contentsOfFile: bad.path) }
            #expect(error.source == bad.path)
            #expect(error.description.hasPrefix("\(bad.path):2:1: duplicate key"))
        }
    }

    @Test func aCustomSourceNameReplacesThePath() throws {
        try withTemporaryDirectory { directory in
            let file = directory.appendingPathComponent("x.yml")
            try Data("a: [\n".utf8).write(to: file)
            let error = try #require(throws: YAMLError.self) {
                try YAMLLoader.load(contentsOfFile: file.path, source: ".buildkite/cache.yml")
            }
            #expect(error.source == ".buildkite/cache.yml")
        }
    }

    @Test func aMissingFileNamesThePathAndTheReason() throws {
        let path = "/nonexistent-\(UUID().uuidString)/cache.yml"
        let error = try #require(throws: YAMLError.self) { try YAMLLoader.load(contentsOfFile: path) }
        #expect(error.mark == nil)
        #expect(error.source == path)
        #expect(error.message.contains(path))
        #expect(error.message.contains("No such file or directory"))
    }

    @Test func aDirectoryIsAnUnreadableFile() throws {
        try withTemporaryDirectory { directory in
            let error = try #require(throws: YAMLError.self) { try YAMLLoader.load(contentsOfFile: directory.path) }
            #expect(error.message.contains("is not a regular file"))
        }
    }

    @Test func aFileOverTheByteLimitIsRefusedWithoutReadingItAll() throws {
        try withTemporaryDirectory { directory in
            let file = directory.appendingPathComponent("big.yml")
            try Data(repeating: UInt8(ascii: "a"), count: 200_000).write(to: file)
            let error = try #require(throws: YAMLError.self) {
                try YAMLLoader.load(contentsOfFile: file.path, limits: YAMLLimits(maxBytes: 100_000))
            }
            #expect(error.message.contains("limit of 100000 bytes"))
        }
        // An endless device is not read at all.
        let error = try #require(throws: YAMLError.self) {
            try YAMLLoader.load(contentsOfFile: "/dev/zero", limits: YAMLLimits(maxBytes: 1024))
        }
        #expect(error.message.contains("is not a regular file"))
    }
}
