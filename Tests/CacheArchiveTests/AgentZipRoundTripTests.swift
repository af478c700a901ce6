import Foundation
import Testing

@testable import CacheArchive

/// The agent's zip format, written and read by us: trees come back the same (contents, modes,
/// links), under other anchor bases, and the same tree always gives the same bytes.
@Suite struct AgentZipRoundTripTests {
    /// Three targets, one per anchor, plus the working directory itself as a target.
    private struct Layout {
        let temp: TempDirectory
        var home: String { temp.sub("home") }
        var work: String { temp.sub("work") }
        var pinned: String { temp.sub("pinned") }
        var targets: [AgentArchiveTarget] {
            [
                AgentArchiveTarget(anchor: .home, relativePath: ".npm", absolutePath: home + "/.npm"),
                AgentArchiveTarget(anchor: .workingDirectory, relativePath: "node_modules/pkg", absolutePath: work + "/node_modules/pkg"),
                AgentArchiveTarget(anchor: .root, relativePath: String(pinned.dropFirst()) + "/tool", absolutePath: pinned + "/tool"),
            ]
        }

        init() throws {
            temp = try TempDirectory()
            try makeDirectory(temp.sub("home"))
            try makeSampleTree(temp.sub("home/.npm"))
            try makeDirectory(temp.sub("work"))
            try makeDirectory(temp.sub("work/node_modules"))
            try makeSampleTree(temp.sub("work/node_modules/pkg"))
            try makeDirectory(temp.sub("pinned"))
            try writeFile(temp.sub("pinned/tool"), "a single file target", mode: 0o751)
        }
    }

    @Test func severalTargetsWithDifferentAnchorsComeBackUnderOtherBases() throws {
        let layout = try Layout()
        let zip = layout.temp.sub("cache.zip")
        let written = try AgentArchiveWriter.write(targets: layout.targets, to: zip, symlinks: .anywhere, isCancelled: { false })
        #expect(written.files == 2 * 8 + 1)
        #expect(written.symlinks == 6)
        #expect(written.directories == 2 * 5)
        #expect(written.compressedBytes == Int64(fileInfo(zip)!.st_size))
        #expect(written.warnings.isEmpty)

        // Another machine: other home and checkout; the pinned path is the same absolute path.
        let stage = layout.temp.sub("stage")
        try makeDirectory(stage)
        let otherHome = layout.temp.sub("elsewhere/home")
        let otherWork = layout.temp.sub("elsewhere/work")
        let read = try AgentArchiveReader.extract(
            from: zip, anchorBases: [.home: otherHome, .workingDirectory: otherWork, .root: "/"],
            destinations: [
                otherHome + "/.npm": stage + "/npm",
                otherWork + "/node_modules/pkg": stage + "/pkg",
                layout.pinned + "/tool": stage + "/tool",
            ],
            limits: .default, symlinks: .anywhere, isCancelled: { false })
        #expect(read.sha256 == written.sha256)
        #expect(read.files == written.files && read.symlinks == written.symlinks && read.directories == written.directories)
        #expect(read.contentBytes == written.contentBytes)
        #expect(read.missingMembers.isEmpty)
        #expect(read.warnings.isEmpty)
        #expect(try treeDescription(stage + "/npm") == treeDescription(layout.home + "/.npm"))
        #expect(try treeDescription(stage + "/pkg") == treeDescription(layout.work + "/node_modules/pkg"))
        #expect(contents(stage + "/tool") == "a single file target")
        #expect(permissions(stage + "/tool") == 0o751)
        #expect(permissions(stage + "/npm/locked") == 0o555)
        #expect(linkTarget(stage + "/npm/absolute-link") == "/usr/bin/env")
        // The agent's fixed time, on files and directories alike.
        #expect(mtime(stage + "/npm/nested/big.bin") == 1_704_067_200)
        #expect(mtime(stage + "/npm/nested") == 1_704_067_200)
        #expect(mtime(stage + "/tool") == 1_704_067_200)
    }

    @Test(.enabled(if: AgentZipFixture.enabled, AgentZipFixture.unavailableReason))
    func theWorkingDirectoryItselfIsATarget() throws {
        let temp = try TempDirectory()
        try makeSampleTree(temp.sub("checkout"))
        let zip = temp.sub("cache.zip")
        _ = try AgentArchiveWriter.write(
            targets: [AgentArchiveTarget(anchor: .workingDirectory, relativePath: "", absolutePath: temp.sub("checkout"))],
            to: zip, symlinks: .anywhere, isCancelled: { false })
        #expect(try AgentZipFixture.list(zip).map(\.name).prefix(3) == [".buildkite/cache-manifest.json", "_0/", "_0/absolute-link"])
        let other = temp.sub("other-checkout")
        _ = try AgentArchiveReader.extract(
            from: zip, anchorBases: [.workingDirectory: other], destinations: [other: temp.sub("staged")],
            limits: .default, symlinks: .anywhere, isCancelled: { false })
        #expect(try treeDescription(temp.sub("staged")) == treeDescription(temp.sub("checkout")))
    }

    @Test func theSameTreeGivesTheSameBytesWhateverItsTimes() throws {
        let layout = try Layout()
        let first = try AgentArchiveWriter.write(targets: layout.targets, to: layout.temp.sub("1.zip"), symlinks: .anywhere, isCancelled: { false })
        let second = try AgentArchiveWriter.write(targets: layout.targets, to: layout.temp.sub("2.zip"), symlinks: .anywhere, isCancelled: { false })
        try setMtime(layout.home + "/.npm/nested/big.bin", 1_000_000)
        try setMtime(layout.work + "/node_modules/pkg", 2_000_000)
        let third = try AgentArchiveWriter.write(targets: layout.targets, to: layout.temp.sub("3.zip"), symlinks: .anywhere, isCancelled: { false })
        let bytes = try [1, 2, 3].map { try Data(contentsOf: URL(fileURLWithPath: layout.temp.sub("\($0).zip"))) }
        #expect(bytes[0] == bytes[1])
        #expect(bytes[0] == bytes[2])
        #expect(first.sha256 == second.sha256 && second.sha256 == third.sha256)
        #expect(try shell("sha256sum \(quoted(layout.temp.sub("1.zip")))").hasPrefix(first.sha256))
    }

    /// Two machines with the same files, created in opposite orders (so directories list them
    /// differently), owned by different users, under different home directories.
    @Test func theSameTreeOnAnotherMachineGivesTheSameBytes() throws {
        let temp = try TempDirectory()
        let names = (0..<40).map { "file-\($0)" }
        for (home, order) in [("home-a", names), ("home-b", Array(names.reversed()))] {
            try makeDirectory(temp.sub(home))
            try makeDirectory(temp.sub(home + "/.cache"))
            for name in order {
                try writeFile(temp.sub("\(home)/.cache/\(name)"), "contents of \(name)", mode: name.hasSuffix("7") ? 0o755 : 0o644)
            }
        }
        if getuid() == 0 {
            try shell("chown -R 65534:65534 \(quoted(temp.sub("home-b")))")
        }
        let reports = try ["home-a", "home-b"].map { home in
            try AgentArchiveWriter.write(
                targets: [AgentArchiveTarget(anchor: .home, relativePath: ".cache", absolutePath: temp.sub(home + "/.cache"))],
                to: temp.sub(home + ".zip"), symlinks: .anywhere, isCancelled: { false })
        }
        #expect(reports[0].sha256 == reports[1].sha256)
        #expect(try Data(contentsOf: URL(fileURLWithPath: temp.sub("home-a.zip"))) == Data(contentsOf: URL(fileURLWithPath: temp.sub("home-b.zip"))))
    }

    @Test(.enabled(if: AgentZipFixture.enabled, AgentZipFixture.unavailableReason))
    func entriesFollowTheAgentsLayout() throws {
        let layout = try Layout()
        let zip = layout.temp.sub("cache.zip")
        _ = try AgentArchiveWriter.write(targets: layout.targets, to: zip, symlinks: .anywhere, isCancelled: { false })
        let entries = try AgentZipFixture.list(zip)
        #expect(entries.first?.name == ".buildkite/cache-manifest.json")
        #expect(entries.first?.method == 8)
        let manifest = try shell("python3 -c 'import zipfile,sys; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(\".buildkite/cache-manifest.json\").decode())' \(quoted(zip))")
        #expect(manifest == #"{"version":2,"mappings":{"_0":"~","_1":".","_2":"/"}}"#)
        for entry in entries.dropFirst() {
            let type = entry.mode & 0o170000
            #expect(entry.method == (type == 0o100000 && entry.size > 0 ? 93 : 0), "\(entry.name)")
            #expect(entry.date_time == [2024, 1, 1, 0, 0, 0])
            #expect(entry.create_system == 3)
            // Only the extended timestamp (mtime 2024-01-01T00:00:00Z): no owner, no other times.
            #expect(entry.extra == "5554050001" + "80009265", "\(entry.name)")
        }
        let names = entries.dropFirst().map(\.name)
        #expect(names.contains("_0/.npm/caf\u{e9}.txt"))
        #expect(names.contains("_1/node_modules/pkg/nested/deeper/"))
        #expect(names.contains("_2/" + String(layout.pinned.dropFirst()) + "/tool"))
        // Namespaces in target order, each depth first with names sorted byte-wise (no name in
        // this tree sorts between a directory and its children, so that is plain sorted order).
        #expect(names == names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
    }

    @Test func requestedTargetsAbsentFromTheArchiveAreListedAndOthersSkipped() throws {
        let layout = try Layout()
        let zip = layout.temp.sub("cache.zip")
        _ = try AgentArchiveWriter.write(targets: Array(layout.targets.prefix(2)), to: zip, symlinks: .anywhere, isCancelled: { false })
        try makeDirectory(layout.temp.sub("stage"))
        let report = try AgentArchiveReader.extract(
            from: zip, anchorBases: [.home: layout.home, .workingDirectory: layout.work, .root: "/"],
            destinations: [layout.home + "/.npm": layout.temp.sub("stage/npm"), layout.home + "/.gradle": layout.temp.sub("stage/gradle")],
            limits: .default, symlinks: .anywhere, isCancelled: { false })
        #expect(report.missingMembers == [layout.home + "/.gradle"])
        #expect(!exists(layout.temp.sub("stage/gradle")))
        #expect(report.warnings.count == 1)
        #expect(report.warnings.first?.contains("'_1'") == true)
        #expect(!exists(layout.temp.sub("stage/pkg")))
    }

    @Test func theWriterRefusesBadTargets() throws {
        let layout = try Layout()
        func refusal(_ targets: [AgentArchiveTarget], to name: String = "x.zip") -> ArchiveError? {
            agentWriteError(targets, to: layout.temp.sub(name))
        }
        let npm = layout.targets[0]
        let inside = AgentArchiveTarget(anchor: .home, relativePath: ".npm/nested", absolutePath: layout.home + "/.npm/nested")
        #expect(refusal([npm, inside])?.message.contains("overlap") == true)
        #expect(refusal([AgentArchiveTarget(anchor: .home, relativePath: "gone", absolutePath: layout.home + "/gone")])?.kind == .invalidRequest)
        #expect(refusal([AgentArchiveTarget(anchor: .root, relativePath: "", absolutePath: "/")])?.message.contains("root") == true)
        #expect(refusal([AgentArchiveTarget(anchor: .home, relativePath: "../x", absolutePath: layout.home)])?.kind == .invalidRequest)
        #expect(refusal([])?.kind == .invalidRequest)
        try writeFile(layout.temp.sub("taken.zip"), "")
        #expect(refusal([npm], to: "taken.zip")?.kind == .invalidRequest)
        // A failed write leaves no archive behind.
        #expect(!exists(layout.temp.sub("x.zip")))
    }

    @Test func insidePolicyRefusesToSaveAnEscapingLink() throws {
        let layout = try Layout()
        let error = agentWriteError([layout.targets[0]], to: layout.temp.sub("x.zip"), symlinks: .inside)
        #expect(error?.kind == .symlinkPolicy)
        #expect(!exists(layout.temp.sub("x.zip")))
    }

    @Test func cancellingAWriteRemovesThePartialArchive() throws {
        let layout = try Layout()
        let error = agentWriteError(layout.targets, to: layout.temp.sub("x.zip"), isCancelled: { true })
        #expect(error?.kind == .cancelled)
        #expect(!exists(layout.temp.sub("x.zip")))
    }

    @Test func cancellingAnExtractionHalfwayRemovesTheStagingPaths() throws {
        let layout = try Layout()
        let zip = layout.temp.sub("cache.zip")
        _ = try AgentArchiveWriter.write(targets: layout.targets, to: zip, symlinks: .anywhere, isCancelled: { false })
        try makeDirectory(layout.temp.sub("stage"))
        // Cancelled after a few entries, as a SIGTERM mid-extraction would.
        let calls = Counter()
        let error = try #require(throws: ArchiveError.self) {
            try AgentArchiveReader.extract(
                from: zip, anchorBases: [.home: layout.home, .workingDirectory: layout.work],
                destinations: [layout.home + "/.npm": layout.temp.sub("stage/npm"), layout.work + "/node_modules/pkg": layout.temp.sub("stage/pkg")],
                limits: .default, symlinks: .anywhere, isCancelled: { calls.next() > 8 })
        }
        #expect(error.kind == .cancelled)
        #expect(try listing(layout.temp.sub("stage")).isEmpty)
    }

    @Test func aFIFOIsSkippedWithAWarning() throws {
        let temp = try TempDirectory()
        try makeDirectory(temp.sub("t"))
        try writeFile(temp.sub("t/file"), "x")
        guard mkfifo(temp.sub("t/pipe"), 0o644) == 0 else { throw TestFailure("mkfifo") }
        let report = try AgentArchiveWriter.write(
            targets: [AgentArchiveTarget(anchor: .workingDirectory, relativePath: "t", absolutePath: temp.sub("t"))],
            to: temp.sub("x.zip"), symlinks: .anywhere, isCancelled: { false })
        #expect(report.files == 1)
        #expect(report.warnings.count == 1 && report.warnings[0].contains("FIFO"))
    }
}
