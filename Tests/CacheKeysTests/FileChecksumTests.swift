import Foundation
import Testing
@testable import CacheKeys

@Suite("File checksums")
struct FileChecksumTests {
    /// The multi-file value computed from its definition, with `sha256sum` doing all the hashing.
    private func expectedChecksum(_ files: [(path: String, contents: String)]) throws -> String {
        var lines = Data()
        for file in files.sorted(by: { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }) {
            lines.append(Data("\(file.path)\u{0}\(try sha256sum(file.contents))\n".utf8))
        }
        return try sha256sum(lines)
    }

    @Test func oneLiteralFileIsItsSha256sum() throws {
        let dir = try TemporaryDirectory()
        try dir.write("Gemfile.lock", "GEM\n  remote: https://rubygems.org/\n")
        #expect(try FileChecksum.checksum(of: ["Gemfile.lock"], in: dir.path)
                == sha256sum("GEM\n  remote: https://rubygems.org/\n"))
        // a fixed vector too, so the test does not rest on sha256sum alone; "./" is ignored
        try dir.write("go.mod", "test content")
        #expect(try FileChecksum.checksum(of: ["./go.mod"], in: dir.path)
                == "6ae8a75555209fd6c44157c0aed8016e763ff435a19cf186f76863140143ff72")
    }

    @Test func fileLargerThanOneReadIsHashedWhole() throws {
        let dir = try TemporaryDirectory()
        var bytes = Data(count: 3 * 256 * 1024 + 17)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: i &* 31 &+ i >> 9) }
        try dir.write("big.bin", data: bytes)
        #expect(try FileChecksum.checksum(of: ["big.bin"], in: dir.path) == sha256sum(bytes))
    }

    @Test func missingLiteralFileIsAnError() throws {
        let dir = try TemporaryDirectory()
        let error = #expect(throws: FileChecksumError.self) {
            try FileChecksum.checksum(of: ["package-lock.json"], in: dir.path)
        }
        #expect(error?.message == "checksum: no file matches 'package-lock.json' (relative to \(dir.path))")
    }

    @Test func manyFilesFollowTheDocumentedFormula() throws {
        let dir = try TemporaryDirectory()
        let files = [("go.sum", "root sum\n"), ("b/go.sum", "b\n"), ("a/x/go.sum", "ax\n"), ("a-b/go.sum", "dash\n")]
        for (path, contents) in files { try dir.write(path, contents) }
        try dir.write("a/x/go.mod", "not matched")
        #expect(try FileChecksum.checksum(of: ["**/go.sum"], in: dir.path) == expectedChecksum(files))
    }

    @Test func overlappingPatternsCountEachFileOnce() throws {
        let dir = try TemporaryDirectory()
        try dir.write("a.lock", "a")
        try dir.write("b.lock", "b")
        let once = try FileChecksum.checksum(of: ["*.lock"], in: dir.path)
        #expect(try FileChecksum.checksum(of: ["a.lock", "*.lock", "{a,b}.lock", "\(dir.path)/a.lock"], in: dir.path) == once)
        #expect(once == (try expectedChecksum([("a.lock", "a"), ("b.lock", "b")])))
    }

    @Test func everyPatternMustMatchSomething() throws {
        let dir = try TemporaryDirectory()
        try dir.write("yarn.lock", "y")
        let error = #expect(throws: FileChecksumError.self) {
            try FileChecksum.checksum(of: ["yarn.lock", "**/*.gradle"], in: dir.path)
        }
        #expect(error?.message == "checksum: no file matches '**/*.gradle' (relative to \(dir.path))")
    }

    @Test func wildcardsInTheWalk() throws {
        let dir = try TemporaryDirectory()
        try dir.write("v1.txt", "1")
        try dir.write("v22.txt", "22")
        try dir.write("pkgs/a/package.json", "a")
        try dir.write("pkgs/b/package.json", "b")
        try dir.write("pkgs/c/package.json", "c")
        try dir.write("ci.yml", "y")
        try dir.write("ci.yaml", "Y")
        #expect(try FileChecksum.checksum(of: ["v?.txt"], in: dir.path) == expectedChecksum([("v1.txt", "1")]))
        #expect(try FileChecksum.checksum(of: ["pkgs/[ab]/*.json"], in: dir.path)
                == expectedChecksum([("pkgs/a/package.json", "a"), ("pkgs/b/package.json", "b")]))
        #expect(try FileChecksum.checksum(of: ["pkgs/[!ab]/package.json"], in: dir.path)
                == expectedChecksum([("pkgs/c/package.json", "c")]))
        #expect(try FileChecksum.checksum(of: ["ci.{yml,yaml}"], in: dir.path)
                == expectedChecksum([("ci.yml", "y"), ("ci.yaml", "Y")]))
    }

    @Test func gitDirectoriesAreNeverSearched() throws {
        let dir = try TemporaryDirectory()
        try dir.write("app/config.json", "app")
        try dir.write(".git/config.json", "git internals")
        try dir.write("vendor/lib/.git/config.json", "submodule internals")
        try dir.write(".github/config.json", "workflow")
        #expect(try FileChecksum.checksum(of: ["**/config.json"], in: dir.path)
                == expectedChecksum([("app/config.json", "app"), (".github/config.json", "workflow")]))
    }

    @Test func symlinkLoopsDoNotHangAndLinkedDirectoriesAreNotEntered() throws {
        let dir = try TemporaryDirectory()
        try dir.write("a/deps.lock", "a")
        try dir.symlink("a/loop", to: "..")
        try dir.symlink("a/self", to: ".")
        try dir.makeDirectory("elsewhere")
        try dir.write("elsewhere/deps.lock", "outside")
        try dir.symlink("linked", to: dir.url("elsewhere"))
        #expect(try FileChecksum.checksum(of: ["**/*.lock"], in: dir.path)
                == expectedChecksum([("a/deps.lock", "a"), ("elsewhere/deps.lock", "outside")]))
    }

    @Test func symlinkToAFileCountsAsThatFile() throws {
        let dir = try TemporaryDirectory()
        try dir.write("real/Package.resolved", "pins")
        try dir.symlink("Package.resolved", to: "real/Package.resolved")
        try dir.symlink("dangling.resolved", to: "nowhere")
        #expect(try FileChecksum.checksum(of: ["Package.resolved"], in: dir.path) == sha256sum("pins"))
        #expect(try FileChecksum.checksum(of: ["*.resolved"], in: dir.path)
                == expectedChecksum([("Package.resolved", "pins")]))
    }

    @Test func specialFilesAreIgnoredNotRead() throws {
        let dir = try TemporaryDirectory()
        try dir.write("a.lock", "a")
        #expect(mkfifo(dir.url("b.lock"), 0o644) == 0)
        // Opening the FIFO would block forever; it must be skipped as not a regular file.
        #expect(try FileChecksum.checksum(of: ["*.lock"], in: dir.path) == expectedChecksum([("a.lock", "a")]))
        #expect(throws: FileChecksumError.self) { try FileChecksum.checksum(of: ["b.lock"], in: dir.path) }
    }

    @Test func literalDirectoryStandsForEveryFileBelowIt() throws {
        let dir = try TemporaryDirectory()
        try dir.write("app/js/a.js", "a")
        try dir.write("app/js/lib/b.js", "b")
        try dir.write("app/other.js", "no")
        #expect(try FileChecksum.checksum(of: ["./app/js"], in: dir.path)
                == expectedChecksum([("app/js/a.js", "a"), ("app/js/lib/b.js", "b")]))
    }

    @Test func absolutePatternsInsideTheCheckoutReportRelativePaths() throws {
        let dir = try TemporaryDirectory()
        try dir.write("x/one.lock", "1")
        try dir.write("x/two.lock", "2")
        #expect(try FileChecksum.checksum(of: ["\(dir.path)/x/*.lock"], in: dir.path + "/")
                == FileChecksum.checksum(of: ["x/*.lock"], in: dir.path))
    }

    @Test func renamingOrEditingAFileChangesTheChecksum() throws {
        let dir = try TemporaryDirectory()
        try dir.write("a/x.lock", "same")
        let before = try FileChecksum.checksum(of: ["**/*.lock"], in: dir.path)
        try FileManager.default.moveItem(atPath: dir.url("a"), toPath: dir.url("b"))
        let renamed = try FileChecksum.checksum(of: ["**/*.lock"], in: dir.path)
        try dir.write("b/x.lock", "changed")
        let edited = try FileChecksum.checksum(of: ["**/*.lock"], in: dir.path)
        #expect(Set([before, renamed, edited]).count == 3)
    }

    @Test func invalidPatternIsReportedBeforeWalking() throws {
        let error = #expect(throws: FileChecksumError.self) {
            try FileChecksum.checksum(of: ["src/{a,b"], in: "/")
        }
        #expect(error?.message.contains("'{' is never closed") == true)
    }
}
