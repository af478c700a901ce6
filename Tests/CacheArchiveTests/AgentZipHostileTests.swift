import Foundation
import Testing

@testable import CacheArchive

/// Agent-format archives made to hurt: each is refused with the right kind of error, leaves
/// no staging path behind and writes nothing outside it. The zips are written by Python's
/// zipfile, which stores whatever names and modes it is given.
@Suite(.enabled(if: AgentZipFixture.enabled, AgentZipFixture.unavailableReason))
struct AgentZipHostileTests {
    private let temp: TempDirectory
    private var home: String { temp.sub("home") }
    private var stage: String { temp.sub("stage/npm") }
    private var bases: [AgentAnchor: String] { [.home: home, .workingDirectory: temp.sub("work"), .root: "/"] }
    private var destinations: [String: String] { [home + "/.npm": stage] }

    init() throws {
        temp = try TempDirectory()
        try makeDirectory(temp.sub("stage"))
        try makeDirectory(temp.sub("outside"))
    }

    /// Builds the zip, extracts it expecting a refusal, and checks nothing was left anywhere.
    private func refusal(_ body: String, unseekable: Bool = false, limits: ExtractionLimits = .default,
                         symlinks: SymlinkPolicy = .anywhere) throws -> ArchiveError? {
        let zip = temp.sub("hostile-\(UUID().uuidString).zip")
        try AgentZipFixture.hostile(zip, unseekable: unseekable, body)
        let error = agentExtractionError(zip, bases: bases, destinations, limits: limits, symlinks: symlinks)
        #expect(!exists(stage), "the staging path is removed after a refusal")
        #expect(try listing(temp.sub("outside")).isEmpty, "nothing is written outside the staging path")
        return error
    }

    @Test func absoluteNamesAreRefused() throws {
        let error = try refusal("""
        standard_manifest()
        add("_0/.npm/ok", b"fine")
        add("\(temp.sub("outside/evil"))", b"x")
        """)
        #expect(error?.kind == .unsafeEntry)
    }

    @Test func dotDotNamesAreRefusedEvenInsideTheirAnchor() throws {
        for name in ["_0/.npm/../../../outside/evil", "_0/../outside/evil", "_0/.npm/a/../b"] {
            let error = try refusal("""
            standard_manifest()
            add("\(name)", b"x")
            """)
            #expect(error?.kind == .unsafeEntry, "\(name)")
            #expect(error?.message.contains("..") == true)
        }
    }

    @Test func aFileBelowASymlinkOfTheArchiveIsRefusedInEitherOrder() throws {
        let link = "add('_0/.npm/l', b'\(temp.sub("outside"))', mode=0o120777)"
        let file = "add('_0/.npm/l/evil', b'written through the link')"
        for order in [[link, file], [file, link]] {
            let error = try refusal((["standard_manifest()"] + order).joined(separator: "\n"))
            #expect(error?.kind == .unsafeEntry)
            #expect(error?.message.contains("symlink") == true)
        }
    }

    @Test func aFileBelowATargetThatIsItselfALinkIsRefused() throws {
        let error = try refusal("""
        standard_manifest()
        add("_0/.npm", b"\(temp.sub("outside"))", mode=0o120777)
        add("_0/.npm/evil", b"x")
        """)
        #expect(error?.kind == .unsafeEntry)
    }

    @Test func duplicateNamesAreRefused() throws {
        let twice = try refusal("""
        standard_manifest()
        add("_0/.npm/f", b"first")
        add("_0/.npm/f", b"second")
        """)
        #expect(twice?.kind == .unsafeEntry)
        #expect(twice?.message.contains("twice") == true)
        let asDirectoryAndFile = try refusal("""
        standard_manifest()
        add("_0/.npm/d/", mode=0o040755)
        add("_0/.npm/d", b"a file where the directory is")
        """)
        #expect(asDirectoryAndFile?.kind == .unsafeEntry)
    }

    @Test func aBadManifestIsAMalformedArchive() throws {
        let cases = [
            "add('_0/.npm/f', b'no manifest at all')",
            "manifest('{not json')",
            "manifest('{\"version\":1,\"mappings\":{\"_0\":\"~\"}}')",
            "manifest('{\"version\":2,\"mappings\":{\"_0\":\"~someone\"}}')",
            "manifest('[2]')",
        ]
        for body in cases {
            let error = try refusal(body)
            #expect(error?.kind == .malformedArchive, "\(body)")
            #expect(error?.archiveSHA256?.count == 64, "a refusal carries the digest of the whole file")
        }
    }

    @Test func aTruncatedArchiveIsMalformed() throws {
        let zip = temp.sub("whole.zip")
        try AgentZipFixture.hostile(zip, """
        standard_manifest()
        add("_0/.npm/f", b"some data " * 100, method=93)
        """)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: zip))
        for keep in [0, 10, bytes.count / 2, bytes.count - 1] {
            let cut = temp.sub("cut-\(keep).zip")
            try bytes.prefix(keep).write(to: URL(fileURLWithPath: cut))
            #expect(agentExtractionError(cut, bases: bases, destinations)?.kind == .malformedArchive, "\(keep) bytes")
            #expect(!exists(stage))
        }
    }

    @Test func aWrongCRCIsMalformed() throws {
        let zip = temp.sub("crc.zip")
        try AgentZipFixture.hostile(zip, """
        standard_manifest()
        add("_0/.npm/f", b"0123456789ABCDEF")
        """)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: zip))
        let at = bytes.range(of: Data("0123456789ABCDEF".utf8))!.lowerBound
        bytes[at] = UInt8(ascii: "X")
        try bytes.write(to: URL(fileURLWithPath: zip))
        let error = agentExtractionError(zip, bases: bases, destinations)
        #expect(error?.kind == .malformedArchive)
        #expect(error?.message.contains("CRC") == true)
        #expect(!exists(stage))
    }

    @Test func aZipBombHitsTheContentLimitBeforeAnythingIsWritten() throws {
        let error = try refusal("""
        standard_manifest()
        add("_0/.npm/a", b"ok")
        add("_0/.npm/zeros", bytes(8 << 20), method=93)
        """, limits: ExtractionLimits(maxContentBytes: 1 << 20))
        #expect(error?.kind == .limitExceeded)
    }

    @Test func tooManyEntriesHitTheEntryLimit() throws {
        let error = try refusal("""
        standard_manifest()
        for i in range(10):
            add(f"_0/.npm/f{i}", b"x")
        """, limits: ExtractionLimits(maxEntries: 5))
        #expect(error?.kind == .limitExceeded)
    }

    @Test func anEntryThatExpandsBeyondItsDeclaredSizeIsRefused() throws {
        // Streamed (data descriptors, so the local header has no sizes), then the central
        // directory's size of the entry is made smaller than its data.
        let zip = temp.sub("liar.zip")
        try AgentZipFixture.hostile(zip, unseekable: true, """
        standard_manifest()
        add("_0/.npm/zeros", bytes(1 << 20), method=93)
        """)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: zip))
        let name = Data("_0/.npm/zeros".utf8)
        let central = bytes.range(of: Data([0x50, 0x4b, 0x01, 0x02]) , options: .backwards)!.lowerBound
        #expect(bytes[(central + 46)..<(central + 46 + name.count)] == name)
        bytes.replaceSubrange((central + 24)..<(central + 28), with: [0x00, 0x10, 0x00, 0x00]) // 4096
        try bytes.write(to: URL(fileURLWithPath: zip))
        let error = agentExtractionError(zip, bases: bases, destinations, limits: ExtractionLimits(maxContentBytes: 1 << 16))
        #expect(error?.kind == .malformedArchive)
        #expect(error?.message.contains("expands to more than") == true)
        #expect(!exists(stage))
    }

    @Test func aLocalHeaderThatNamesAnotherFileIsRefused() throws {
        let zip = temp.sub("twonames.zip")
        try AgentZipFixture.hostile(zip, """
        standard_manifest()
        add("_0/.npm/good", b"x")
        """)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: zip))
        // Rename the entry in its local header only.
        let local = bytes.range(of: Data("_0/.npm/good".utf8))!.lowerBound
        bytes.replaceSubrange(local..<(local + 12), with: Data("_0/.npm/evil".utf8))
        try bytes.write(to: URL(fileURLWithPath: zip))
        #expect(agentExtractionError(zip, bases: bases, destinations)?.kind == .unsafeEntry)
    }

    @Test func somethingThatIsNotAZipIsMalformed() throws {
        let path = temp.sub("notzip.zip")
        try writeFile(path, String(repeating: "not a zip file at all ", count: 100))
        #expect(agentExtractionError(path, bases: bases, destinations)?.kind == .malformedArchive)
    }

    @Test func entriesOutsideTheRequestedTargetsAndNamespacesAreSkippedNotWritten() throws {
        let zip = temp.sub("skip.zip")
        try AgentZipFixture.hostile(zip, """
        manifest('{"version":2,"mappings":{"_0":"~","_1":"/"}}')
        add("_0/.npm/kept", b"x")
        add("_1\(temp.sub("outside/evil"))", b"outside every requested target")
        add("_9/whatever", b"no such namespace")
        add("loose", b"no namespace at all")
        """)
        let report = try AgentArchiveReader.extract(from: zip, anchorBases: bases, destinations: destinations,
                                                    limits: .default, symlinks: .anywhere, isCancelled: { false })
        #expect(report.files == 1)
        #expect(contents(stage + "/kept") == "x")
        #expect(try listing(temp.sub("outside")).isEmpty)
        #expect(report.warnings.count == 3)
    }

    @Test func insidePolicyRefusesAnEscapingLink() throws {
        let error = try refusal("""
        standard_manifest()
        add("_0/.npm/l", b"../../outside", mode=0o120777)
        """, symlinks: .inside)
        #expect(error?.kind == .symlinkPolicy)
    }

    @Test func setUserIDBitsAreNotRestored() throws {
        let zip = temp.sub("suid.zip")
        try AgentZipFixture.hostile(zip, """
        standard_manifest()
        add("_0/.npm/tool", b"#!/bin/sh", mode=0o104755)
        """)
        _ = try AgentArchiveReader.extract(from: zip, anchorBases: bases, destinations: destinations,
                                           limits: .default, symlinks: .anywhere, isCancelled: { false })
        #expect(permissions(stage + "/tool") == 0o755)
    }

    /// Every single-byte corruption of a small archive (each byte in turn, inverted) is either
    /// read or refused with an ArchiveError: never a crash, never a file outside the staging
    /// path, never a staging path left behind by a refusal.
    @Test func everySingleByteCorruptionIsReadOrRefusedCleanly() throws {
        let zip = temp.sub("small.zip")
        try AgentZipFixture.hostile(zip, """
        standard_manifest()
        add("_0/.npm/", mode=0o040755)
        add("_0/.npm/packed", b"zstd data " * 20, method=93)
        add("_0/.npm/deflated", b"deflate data " * 20, method=8)
        add("_0/.npm/link", b"packed", mode=0o120777)
        add("_0/.npm/sub/plain", b"stored")
        """)
        let original = try Data(contentsOf: URL(fileURLWithPath: zip))
        var refused = 0
        for index in original.indices {
            var bytes = original
            bytes[index] ^= 0xFF
            let corrupt = temp.sub("corrupt.zip")
            try bytes.write(to: URL(fileURLWithPath: corrupt))
            if agentExtractionError(corrupt, bases: bases, destinations) != nil {
                refused += 1
                #expect(!exists(stage), "byte \(index)")
            } else {
                POSIX.removeTree(stage)
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: temp.sub("outside")).isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: temp.sub("stage")).isEmpty, "byte \(index)")
        }
        // Headers, names, sizes and data are all covered by some check; what is not (times,
        // versions, permission bits, the extra fields) is about a sixth of this archive.
        #expect(refused > original.count * 3 / 4, "\(refused) of \(original.count) corruptions refused")
    }
}
