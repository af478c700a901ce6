import Foundation
import Testing

@testable import CacheArchive

/// The zip framing below the agent format: zip64 end records (more than 65535 entries) on
/// both sides, zip64 local headers from another writer, data descriptors, and the manifest
/// rules.
@Suite(.enabled(if: AgentZipFixture.enabled, AgentZipFixture.unavailableReason))
struct AgentZipFramingTests {
    @Test func moreThan65535EntriesUseZip64EndRecordsThatPythonReads() throws {
        let temp = try TempDirectory()
        let path = temp.sub("many.zip")
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        #expect(fd >= 0)
        let writer = ZipWriter(fd: fd, path: path, isCancelled: { false })
        let count = 70_000
        for index in 0..<count {
            try writer.add(name: Array("d\(index)/".utf8), mode: 0o040755, data: [], method: .store)
        }
        try writer.finish()
        close(fd)
        let listed = try shell("python3 -c 'import zipfile,sys; print(len(zipfile.ZipFile(sys.argv[1]).infolist()))' \(quoted(path))")
        #expect(listed == "\(count)\n")
        let input = open(path, O_RDONLY)
        defer { close(input) }
        let directory = try ZipCentralDirectory(fd: input, size: UInt64(fileInfo(path)!.st_size), path: path, maxEntries: 100_000)
        #expect(directory.entries.count == count)
        #expect(directory.entries.last?.name == Array("d69999/".utf8))
    }

    @Test func weReadPythonsZip64EndRecordsAndLocalHeadersAndDataDescriptors() throws {
        let temp = try TempDirectory()
        let zip = temp.sub("zip64.zip")
        try AgentZipFixture.hostile(zip, unseekable: false, """
        manifest('{"version":2,"mappings":{"_0":"~","_1":"."}}')
        for i in range(66000):
            add(f"_1/skipped/{i}")
        info = zipfile.ZipInfo("_0/.npm/forced", date_time=fixture.FIXED_TIME)
        info.create_system = 3
        info.external_attr = 0o100600 << 16
        info.compress_type = 93
        with out.open(info, "w", force_zip64=True) as entry:
            entry.write(b"zip64 local header" * 1000)
        """)
        try makeDirectory(temp.sub("stage"))
        let report = try AgentArchiveReader.extract(
            from: zip, anchorBases: [.home: temp.sub("home"), .workingDirectory: temp.sub("work")],
            destinations: [temp.sub("home/.npm"): temp.sub("stage/npm")], limits: .default, symlinks: .anywhere,
            isCancelled: { false })
        #expect(report.files == 1)
        #expect(contents(temp.sub("stage/npm/forced")) == String(repeating: "zip64 local header", count: 1000))
        #expect(permissions(temp.sub("stage/npm/forced")) == 0o600)

        let streamed = temp.sub("streamed.zip")
        try AgentZipFixture.hostile(streamed, unseekable: true, """
        standard_manifest()
        add("_0/.npm/a", b"data descriptor " * 5000, method=93)
        add("_0/.npm/b", b"")
        """)
        _ = try AgentArchiveReader.extract(
            from: streamed, anchorBases: [.home: temp.sub("home")], destinations: [temp.sub("home/.npm"): temp.sub("stage/streamed")],
            limits: .default, symlinks: .anywhere, isCancelled: { false })
        #expect(contents(temp.sub("stage/streamed/a")) == String(repeating: "data descriptor ", count: 5000))
        #expect(contents(temp.sub("stage/streamed/b")) == "")
    }

    @Test func theManifestIsCheckedAsTheAgentChecksIt() throws {
        let good = try AgentManifest.decode(Array(#"{"version":2,"mappings":{"_0":"~","_1":"/","_2":"."}}"#.utf8), archive: "a.zip")
        #expect(good.mappings == ["_0": .home, "_1": .root, "_2": .workingDirectory])
        #expect(String(decoding: good.encoded(), as: UTF8.self) == #"{"version":2,"mappings":{"_0":"~","_1":"/","_2":"."}}"#)
        let many = AgentManifest(mappings: Dictionary(uniqueKeysWithValues: (0..<12).map { ("_\($0)", AgentAnchor.home) }))
        // Go's encoding/json sorts map keys as strings: _10 before _2.
        #expect(String(decoding: many.encoded(), as: UTF8.self).contains(#""_1":"~","_10":"~","_11":"~","_2":"~""#))
        for bad in [#"{"version":3,"mappings":{}}"#, #"{"mappings":{}}"#, #"{"version":2,"mappings":{"_0":"C:\\"}}"#,
                    #"{"version":2,"mappings":{"a/b":"~"}}"#, "", "null"] {
            #expect(throws: ArchiveError.self, "\(bad)") { try AgentManifest.decode(Array(bad.utf8), archive: "a.zip") }
        }
    }
}
