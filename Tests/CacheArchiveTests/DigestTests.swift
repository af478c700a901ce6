import Foundation
import Testing

@testable import CacheArchive

/// The digest names the blob in the store and guards every restore, so it
/// must be of exactly the bytes on disk, from both sides.
@Suite struct DigestTests {
    private func smallArchive(in temp: TempDirectory) throws -> (path: String, report: ArchiveReport) {
        try makeDirectory(temp.sub("src"))
        try writeFile(temp.sub("src/a"), String(repeating: "abc", count: 100_000))
        try writeFile(temp.sub("src/b"), "b")
        let path = temp.sub("blob.tar.zst")
        return (path, try ArchiveWriter.write(sources: [.init(name: "m", path: temp.sub("src"))], to: path))
    }

    private func sha256sum(_ path: String) throws -> String {
        String(try shell("sha256sum \(quoted(path))").prefix(64))
    }

    @Test func writerAndExtractorDigestsMatchTheFile() throws {
        let temp = try TempDirectory()
        let (archive, written) = try smallArchive(in: temp)

        let extracted = try ArchiveExtractor.extract(from: FileArchiveInput(path: archive), destinations: ["m": temp.sub("out")])

        let independent = try sha256sum(archive)
        #expect(written.sha256 == independent)
        #expect(extracted.sha256 == independent)
        let size = Int64(try #require(fileInfo(archive)).st_size)
        #expect(written.compressedBytes == size)
        #expect(extracted.compressedBytes == size)
    }

    @Test func extractorHashesBytesPastTheEndOfTheTarStream() throws {
        let temp = try TempDirectory()
        let (archive, written) = try smallArchive(in: temp)
        // Megabytes of incompressible bytes after the tar end marker, inside
        // the zstd stream: libarchive stops at the marker, the digest must
        // still cover the whole file.
        let padded = temp.sub("padded.tar.zst")
        try shell("(zstd -dc \(quoted(archive)); head -c 5000000 /dev/urandom) | zstd -q -1 -o \(quoted(padded))")

        let report = try ArchiveExtractor.extract(from: FileArchiveInput(path: padded), destinations: ["m": temp.sub("out")])

        #expect(report.sha256 == (try sha256sum(padded)))
        #expect(report.sha256 != written.sha256)
        #expect(report.compressedBytes == Int64(try #require(fileInfo(padded)).st_size))
        #expect(report.compressedBytes > 5_000_000)
        #expect(contents(temp.sub("out/b")) == "b")
    }

    @Test func finalProgressMatchesTheReport() throws {
        let temp = try TempDirectory()
        try makeDirectory(temp.sub("src"))
        try writeFile(temp.sub("src/a"), "12345")
        final class Last: @unchecked Sendable {
            let lock = NSLock()
            var value: ArchiveProgress?
            func set(_ progress: ArchiveProgress) { lock.withLock { value = progress } }
        }
        let writeProgress = Last()
        let extractProgress = Last()

        let written = try ArchiveWriter.write(
            sources: [.init(name: "m", path: temp.sub("src"))], to: temp.sub("p.tar.zst"), progress: writeProgress.set)
        let extracted = try ArchiveExtractor.extract(
            from: FileArchiveInput(path: temp.sub("p.tar.zst")), destinations: ["m": temp.sub("out")], progress: extractProgress.set)

        #expect(writeProgress.value == ArchiveProgress(entries: 2, contentBytes: 5, compressedBytes: written.compressedBytes))
        #expect(extractProgress.value == ArchiveProgress(entries: 2, contentBytes: 5, compressedBytes: extracted.compressedBytes))
    }

    @Test(arguments: ["truncate -s 5000", "printf 'junk after the zstd frame' >>"])
    func damagedArchiveIsRejectedAndLeavesNothingBehind(damage: String) throws {
        let temp = try TempDirectory()
        let (archive, _) = try smallArchive(in: temp)
        try shell("\(damage) \(quoted(archive))")

        let error = extractionError(archive, ["m": temp.sub("out")])

        #expect(error?.kind == .malformedArchive)
        #expect(!exists(temp.sub("out")))
    }
}
