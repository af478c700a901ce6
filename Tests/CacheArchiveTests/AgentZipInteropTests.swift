import Foundation
import Testing

@testable import CacheArchive

/// Our agent-format reader and writer against an implementation made independently of them
/// (Tests/support/agent_zip_fixture.py: Python's zipfile and the zstandard package, written
/// from the protocol page): each side reads what the other writes, to the same tree.
@Suite(.enabled(if: AgentZipFixture.enabled, AgentZipFixture.unavailableReason))
struct AgentZipInteropTests {
    private let temp: TempDirectory
    private var home: String { temp.sub("home") }
    private var work: String { temp.sub("work") }
    private var targets: [AgentArchiveTarget] {
        [
            AgentArchiveTarget(anchor: .home, relativePath: ".cache/tool", absolutePath: home + "/.cache/tool"),
            AgentArchiveTarget(anchor: .workingDirectory, relativePath: "vendor", absolutePath: work + "/vendor"),
            AgentArchiveTarget(anchor: .workingDirectory, relativePath: "single.txt", absolutePath: work + "/single.txt"),
            AgentArchiveTarget(anchor: .root, relativePath: String(temp.sub("pinned").dropFirst()), absolutePath: temp.sub("pinned")),
        ]
    }

    init() throws {
        temp = try TempDirectory()
        try makeDirectory(home)
        try makeDirectory(home + "/.cache")
        try makeSampleTree(home + "/.cache/tool")
        try makeDirectory(work)
        try makeSampleTree(work + "/vendor")
        try writeFile(work + "/single.txt", "one file as a whole target", mode: 0o640)
        try makeDirectory(temp.sub("pinned"), mode: 0o700)
        try writeFile(temp.sub("pinned/data"), "pinned to its absolute path")
    }

    @Test func weExtractWhatTheFixtureWrites() throws {
        let zip = temp.sub("theirs.zip")
        try AgentZipFixture.build(zip, targets: targets)
        let stage = temp.sub("stage")
        try makeDirectory(stage)
        let newHome = temp.sub("machine2/home")
        let newWork = temp.sub("machine2/work")
        let report = try AgentArchiveReader.extract(
            from: zip, anchorBases: [.home: newHome, .workingDirectory: newWork, .root: "/"],
            destinations: [
                newHome + "/.cache/tool": stage + "/tool",
                newWork + "/vendor": stage + "/vendor",
                newWork + "/single.txt": stage + "/single.txt",
                temp.sub("pinned"): stage + "/pinned",
            ],
            limits: .default, symlinks: .anywhere, isCancelled: { false })
        #expect(report.warnings.isEmpty)
        #expect(report.missingMembers.isEmpty)
        #expect(try treeDescription(stage + "/tool") == treeDescription(home + "/.cache/tool"))
        #expect(try treeDescription(stage + "/vendor") == treeDescription(work + "/vendor"))
        #expect(try treeDescription(stage + "/pinned") == treeDescription(temp.sub("pinned")))
        #expect(permissions(stage + "/pinned") == 0o700)
        #expect(contents(stage + "/single.txt") == "one file as a whole target")
        #expect(permissions(stage + "/single.txt") == 0o640)
    }

    @Test func theFixtureExtractsWhatWeWrite() throws {
        let zip = temp.sub("ours.zip")
        _ = try AgentArchiveWriter.write(targets: targets, to: zip, symlinks: .anywhere, isCancelled: { false })
        let out = temp.sub("out")
        try AgentZipFixture.extract(zip, into: out)
        #expect(try treeDescription(out + "/home/.cache/tool") == treeDescription(home + "/.cache/tool"))
        #expect(try treeDescription(out + "/cwd/vendor") == treeDescription(work + "/vendor"))
        #expect(try treeDescription(out + "/root" + temp.sub("pinned")) == treeDescription(temp.sub("pinned")))
        #expect(contents(out + "/cwd/single.txt") == "one file as a whole target")
        #expect(permissions(out + "/cwd/single.txt") == 0o640)
    }

    /// The entries are named and typed as the protocol page says, seen through zipfile's own
    /// central directory parser.
    @Test func theFixtureSeesOurNamespacesAndModes() throws {
        let zip = temp.sub("ours.zip")
        _ = try AgentArchiveWriter.write(targets: targets, to: zip, symlinks: .anywhere, isCancelled: { false })
        let entries = try AgentZipFixture.list(zip)
        #expect(entries.contains { $0.name == "_2/single.txt" && $0.mode == 0o100640 })
        #expect(entries.contains { $0.name == "_0/.cache/tool/relative-link" && $0.mode & 0o170000 == 0o120000 })
    }
}
