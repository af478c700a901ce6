import CacheArchive
import Foundation
import Testing
@testable import CacheCore

/// A refused archive is described by what its digest proves: exactly the stored blob (a bug of
/// the plugin, said so with what to report), a damaged blob, or a policy the cache has since set.
@Suite("Why an archive was refused")
struct ArchiveRefusalTests {
    let entry = CacheEntry(key: "deps-abc", digest: String(repeating: "a", count: 64), size: 1, created: Date(),
                           platform: "linux/amd64", members: ["checkout/deps"], branch: "main", job: "job-7")

    @Test func theStoredBlobRefusedIsABugOfThePluginWithWhatToReport() {
        let error = ArchiveError(.unsafeEntry, "refusing entry 'x'", archiveSHA256: entry.digest)
        let reason = ArchiveRefusal.reason(error, entry: entry)
        #expect(reason.contains("bug of the plugin"))
        #expect(reason.contains("job-7"))
        #expect(reason.contains("zstd -dc"))
    }

    @Test func anotherDigestIsADamagedBlob() {
        let error = ArchiveError(.malformedArchive, "not a tar", archiveSHA256: String(repeating: "b", count: 64))
        let reason = ArchiveRefusal.reason(error, entry: entry)
        #expect(reason.contains("is corrupt"))
        #expect(!reason.contains("bug"))
    }

    @Test func aPolicyRefusalSaysWhichSettingAndWhatHappensNext() {
        let error = ArchiveError(.symlinkPolicy, "refusing symlink 'checkout/deps/py' -> /usr/bin/python3: it points outside the cache path (absolute target), and the cache sets 'symlinks: inside'",
                                 archiveSHA256: entry.digest)
        let reason = ArchiveRefusal.reason(error, entry: entry)
        #expect(reason.contains("symlinks: inside"))
        #expect(!reason.contains("bug"))
        #expect(ArchiveRefusal.isRefusal(error))
        #expect(!ArchiveRefusal.isRefusal(ArchiveError(.io, "disk full")))
    }
}
