import Foundation
import Testing
@testable import CacheArchive

/// An archive that arrives the way a download hands it over: in small pieces, and with a read
/// that may block until the download is told to stop. The extraction reads, hashes and
/// decompresses it on threads of its own (`HashingFileInput`); these tests hold those threads to
/// their contract with such an input.
@Suite("Extracting an archive that arrives in pieces")
struct StreamingInputTests {
    /// Serves `bytes` at most `piece` bytes per read. After them it ends, or, with
    /// `blocksAtEnd`, waits as a download waits for bytes that do not come, until `stopReading`
    /// (then it throws, as a stopped download does).
    final class PiecewiseInput: ArchiveInput, @unchecked Sendable {
        let name = "s3://bucket/blob"
        private let bytes: [UInt8]
        private let piece: Int
        private let blocksAtEnd: Bool
        private let condition = NSCondition()
        private var offset = 0
        private var stopped = false
        private(set) var reads = 0

        init(_ bytes: [UInt8], piece: Int, blocksAtEnd: Bool = false) {
            self.bytes = bytes
            self.piece = piece
            self.blocksAtEnd = blocksAtEnd
        }

        var wasStopped: Bool { condition.withLock { stopped } }

        func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            condition.lock()
            defer { condition.unlock() }
            reads += 1
            if offset == bytes.count && blocksAtEnd {
                while !stopped { condition.wait() }
            }
            if stopped { throw CancellationError() }
            let count = min(piece, buffer.count, bytes.count - offset)
            bytes.withUnsafeBytes { source in
                buffer.baseAddress!.copyMemory(from: source.baseAddress! + offset, byteCount: count)
            }
            offset += count
            return count
        }

        func stopReading() {
            condition.withLock {
                stopped = true
                condition.broadcast()
            }
        }
    }

    /// Pieces of 1 to 3 bytes: the first read is shorter than zstd's 4-byte magic number, and the
    /// archive is still recognised, extracted whole, and hashed exactly once.
    @Test(arguments: [1, 3, 4096])
    func anArchiveInTinyPiecesExtractsWholeWithTheFilesDigest(piece: Int) throws {
        let temp = try TempDirectory()
        try makeDirectory(temp.sub("src"))
        try writeFile(temp.sub("src/a"), String(repeating: "abc", count: 50_000))
        try writeFile(temp.sub("src/b"), "b")
        let archive = temp.sub("blob.tar.zst")
        let written = try ArchiveWriter.write(sources: [.init(name: "m", path: temp.sub("src"))], to: archive)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: archive)))

        let report = try ArchiveExtractor.extract(from: PiecewiseInput(bytes, piece: piece), destinations: ["m": temp.sub("out")])

        #expect(report.sha256 == written.sha256)
        #expect(report.compressedBytes == Int64(bytes.count))
        #expect(contents(temp.sub("out/a")) == String(repeating: "abc", count: 50_000))
        #expect(contents(temp.sub("out/b")) == "b")
    }

    /// A zstd stream that is corrupt while the download still has bytes to come: the extraction
    /// stops the download instead of waiting for them, reports the corruption (not the stop it
    /// caused as a failed read), and leaves no destination behind.
    @Test(.timeLimit(.minutes(1)))
    func aCorruptStreamStopsTheDownloadAndIsReportedAsCorrupt() throws {
        let temp = try TempDirectory()
        // A zstd frame header (no checksum, 1 KiB window), then a block of the reserved type 3.
        let corrupt: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0x00, 0x00, 0x06, 0x00, 0x00] + [UInt8](repeating: 0x41, count: 64)
        let input = PiecewiseInput(corrupt, piece: corrupt.count, blocksAtEnd: true)

        let error = try #require(throws: ArchiveError.self) {
            try ArchiveExtractor.extract(from: input, destinations: ["m": temp.sub("out")])
        }

        #expect(error.kind == .malformedArchive, "\(error)")
        #expect(error.message.contains("not a readable tar/zstd archive"), "\(error)")
        #expect(input.wasStopped)
        #expect(!exists(temp.sub("out")))
    }

    /// A download that fails for good part-way: the extraction reports the read's own error.
    @Test func aReadThatFailsIsReportedAsTheReadsError() throws {
        struct Refused: Error, CustomStringConvertible { var description: String { "HTTP 500 after 5 attempts" } }
        final class FailingInput: ArchiveInput, @unchecked Sendable {
            let name = "s3://bucket/blob"
            let head: [UInt8]
            private var served = false
            init(_ head: [UInt8]) { self.head = head }
            func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
                guard !served else { throw Refused() }
                served = true
                head.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: head.count) }
                return head.count
            }
            func stopReading() {}
        }
        let temp = try TempDirectory()
        try makeDirectory(temp.sub("src"))
        try writeFile(temp.sub("src/a"), String(repeating: "xyz", count: 200_000))
        let archive = temp.sub("blob.tar.zst")
        _ = try ArchiveWriter.write(sources: [.init(name: "m", path: temp.sub("src"))], to: archive)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: archive)))

        let error = try #require(throws: ArchiveError.self) {
            try ArchiveExtractor.extract(from: FailingInput(Array(bytes.prefix(bytes.count / 2))), destinations: ["m": temp.sub("out")])
        }

        #expect(error.kind == .io, "\(error)")
        #expect(error.message.contains("HTTP 500 after 5 attempts"), "\(error)")
        #expect(!exists(temp.sub("out")))
    }
}
