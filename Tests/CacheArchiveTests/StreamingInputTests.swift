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
    class PiecewiseInput: ArchiveInput, @unchecked Sendable {
        let name = "s3://bucket/blob"
        let bytes: [UInt8]
        private let piece: Int
        private let blocksAtEnd: Bool
        let condition = NSCondition()
        private var offset = 0
        private var stopped = false

        init(_ bytes: [UInt8], piece: Int, blocksAtEnd: Bool = false) {
            self.bytes = bytes
            self.piece = piece
            self.blocksAtEnd = blocksAtEnd
        }

        var wasStopped: Bool { condition.withLock { stopped } }

        /// The next piece's place in `bytes`, at most `limit` long; empty at the end. Call with the
        /// condition locked.
        func nextPiece(limit: Int) throws -> Range<Int> {
            if offset == bytes.count && blocksAtEnd {
                while !stopped { condition.wait() }
            }
            if stopped { throw CancellationError() }
            let count = min(piece, limit, bytes.count - offset)
            defer { offset += count }
            return offset ..< offset + count
        }

        func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            try condition.withLock {
                let range = try nextPiece(limit: buffer.count)
                bytes.withUnsafeBytes { source in
                    buffer.baseAddress!.copyMemory(from: source.baseAddress! + range.lowerBound, byteCount: range.count)
                }
                return range.count
            }
        }

        func stopReading() {
            condition.withLock {
                stopped = true
                condition.broadcast()
            }
        }
    }

    /// The same, lending its pieces as a download lends what it received (each one a buffer of
    /// its own), and counting the loans: each must be given back once.
    final class LendingPiecewiseInput: PiecewiseInput, LendingArchiveInput, @unchecked Sendable {
        private(set) var lent = 0
        private(set) var givenBack = 0
        private(set) var givenBackTwice = 0

        func lend() throws -> LentBytes? {
            try condition.withLock {
                let range = try nextPiece(limit: .max)
                guard !range.isEmpty else { return nil }
                lent += 1
                let loan = Loan(bytes[range])
                return LentBytes(bytes: UnsafeRawBufferPointer(loan.copy)) { [self] in
                    let first = condition.withLock {
                        guard !loan.returned else { givenBackTwice += 1; return false }
                        loan.returned = true
                        givenBack += 1
                        return true
                    }
                    if first { loan.scribbleAndFree() }
                }
            }
        }

        var loans: (lent: Int, givenBack: Int, twice: Int) { condition.withLock { (lent, givenBack, givenBackTwice) } }
    }

    /// One lent piece: a buffer of its own.
    final class Loan: @unchecked Sendable {
        let copy: UnsafeMutableRawBufferPointer
        var returned = false

        init(_ bytes: ArraySlice<UInt8>) {
            copy = .allocate(byteCount: bytes.count, alignment: 1)
            copy.copyBytes(from: bytes)
        }

        /// Scribbled over before it is freed: a reader that used the bytes after giving them back
        /// would decode or hash the damage.
        func scribbleAndFree() {
            copy.initializeMemory(as: UInt8.self, repeating: 0xEE)
            copy.deallocate()
        }
    }

    /// An archive of 150 KB of text, a 1-byte file and 200 KB that do not compress (so the
    /// archive is larger than the biggest piece), written as the save writes it.
    func smallArchive(in temp: TempDirectory) throws -> (bytes: [UInt8], sha256: String) {
        try makeDirectory(temp.sub("src"))
        try writeFile(temp.sub("src/a"), String(repeating: "abc", count: 50_000))
        try writeFile(temp.sub("src/b"), "b")
        var generator = SystemRandomNumberGenerator()
        try writeFile(temp.sub("src/c"), Data((0 ..< 200_000).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }))
        let archive = temp.sub("blob.tar.zst")
        let written = try ArchiveWriter.write(sources: [.init(name: "m", path: temp.sub("src"))], to: archive)
        return ([UInt8](try Data(contentsOf: URL(fileURLWithPath: archive))), written.sha256)
    }

    /// Pieces of 1 to 3 bytes: the first read is shorter than zstd's 4-byte magic number, and the
    /// archive is still recognised, extracted whole, and hashed exactly once.
    @Test(arguments: [1, 3, 4096])
    func anArchiveInTinyPiecesExtractsWholeWithTheFilesDigest(piece: Int) throws {
        let temp = try TempDirectory()
        let (bytes, sha256) = try smallArchive(in: temp)

        let report = try ArchiveExtractor.extract(from: PiecewiseInput(bytes, piece: piece), destinations: ["m": temp.sub("out")])

        #expect(report.sha256 == sha256)
        #expect(report.compressedBytes == Int64(bytes.count))
        #expect(contents(temp.sub("out/a")) == String(repeating: "abc", count: 50_000))
        #expect(contents(temp.sub("out/b")) == "b")
    }

    /// An input that lends its pieces (a download): after the first block, which still waits for
    /// the magic number, every piece is hashed and decoded where it lies, in order, and given
    /// back exactly once, after its last use (a piece is scribbled over when given back).
    @Test(arguments: [100, 4096, 65536])
    func lentPiecesAreExtractedInOrderAndEachGivenBackOnce(piece: Int) throws {
        let temp = try TempDirectory()
        let (bytes, sha256) = try smallArchive(in: temp)
        let input = LendingPiecewiseInput(bytes, piece: piece)

        let report = try ArchiveExtractor.extract(from: input, destinations: ["m": temp.sub("out")])

        #expect(report.sha256 == sha256)
        #expect(report.compressedBytes == Int64(bytes.count))
        #expect(contents(temp.sub("out/a")) == String(repeating: "abc", count: 50_000))
        #expect(contents(temp.sub("out/b")) == "b")
        let loans = input.loans
        #expect(bytes.count > 200_000)
        #expect(loans.lent > 0, "pieces after the first block are lent")
        #expect(loans.givenBack == loans.lent)
        #expect(loans.twice == 0)
    }

    /// A zstd stream that is corrupt while the download still has bytes to come: the extraction
    /// stops the download instead of waiting for them, reports the corruption (not the stop it
    /// caused as a failed read), and leaves no destination behind.
    /// The same whether the download lends its pieces or has them copied out.
    @Test(.timeLimit(.minutes(1)), arguments: [false, true])
    func aCorruptStreamStopsTheDownloadAndIsReportedAsCorrupt(lending: Bool) throws {
        let temp = try TempDirectory()
        // A zstd frame header (no checksum, 1 KiB window), then a block of the reserved type 3.
        let corrupt: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0x00, 0x00, 0x06, 0x00, 0x00] + [UInt8](repeating: 0x41, count: 64)
        // The first block is read (it waits for the magic number); a lending input lends the rest.
        let input = lending ? LendingPiecewiseInput(corrupt, piece: 4, blocksAtEnd: true)
            : PiecewiseInput(corrupt, piece: corrupt.count, blocksAtEnd: true)

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
