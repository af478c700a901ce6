import CacheRetry
import Crypto
import Foundation
import Testing
@testable import CacheCore

/// Save then restore through the binaries' entry points against the fake registry, with its blobs
/// in an agent-layout `file://` store: the registry flows end to end.
@Suite("Save and restore through the agent's cache registry")
struct RegistryRoundTripTests {
    static let dependencies = #"{"store":"buildkite","caches":[{"id":"deps","key":"deps-{{ checksum \"lock.txt\" }}","fallback_keys":["deps-"],"paths":["deps","~/.tool"]}]}"#
    static let partsFormat = #"{"store":"buildkite://~","caches":[{"name":"deps","cache_key":[{"literal":"deps"},{"agent":"os","fallback_limit":true},{"checksum":"lock.txt"}],"target_paths":["deps"],"save_scopes":{"branch":true,"build":false}}]}"#

    func environment(_ scratch: Scratch, _ server: FakeRegistry, configuration: String = dependencies) -> JobEnvironment {
        jobEnvironment(scratch, configuration: configuration, extra: [
            "BUILDKITE_AGENT_ENDPOINT": server.endpoint,
            "BUILDKITE_AGENT_ACCESS_TOKEN": FakeRegistry.token,
            "BUILDKITE_AGENT_CACHE_STORE_URL": "file://" + scratch.path + "/blobs",
        ])
    }

    func makeProject(_ scratch: Scratch, lock: String = "v1") throws {
        try scratch.write("checkout/lock.txt", lock)
        try scratch.write("checkout/deps/a.txt", "alpha")
        try scratch.write("checkout/deps/bin/run", "#!/bin/sh\necho run\n", mode: 0o755)
        try scratch.write("home/.tool/config", "tool config")
    }

    func save(_ environment: JobEnvironment) async -> (JobExitStatus, String) {
        let captured = CapturedLog()
        let status = await SaveJob.run(environment: environment, log: captured.log, dryRun: false, clock: RecordingClock(), random: ZeroRandom())
        return (status, captured.text)
    }

    func restore(_ environment: JobEnvironment, exportFile: String? = nil) async -> (JobExitStatus, String) {
        let captured = CapturedLog()
        let status = await RestoreJob.run(environment: environment, log: captured.log, exportFile: exportFile, dryRun: false,
                                          clock: RecordingClock(), random: ZeroRandom())
        return (status, captured.text)
    }

    func blobNames(_ scratch: Scratch) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: scratch.path + "/blobs").filter { !$0.hasPrefix(".") }.sorted()
    }

    @Test func missThenSaveThenExactHitWithTheAgentsBlobLayout() async throws {
        try await withFakeRegistry { server in
            let scratch = try Scratch()
            try makeProject(scratch)
            let env = environment(scratch, server)
            let exports = scratch.path + "/exports"

            let (missStatus, missLog) = await restore(env, exportFile: exports)
            #expect(missStatus == .success)
            #expect(missLog.contains("deps: miss"))

            let (saveStatus, saveLog) = await save(env)
            #expect(saveStatus == .success)
            #expect(saveLog.contains("deps: saved"))
            let names = try blobNames(scratch)
            #expect(names.count == 2)
            let digest = try #require(names.first { !$0.hasSuffix(".attrs.json") })
            #expect(names.contains(digest + ".attrs.json"))
            let bytes = try #require(FileManager.default.contents(atPath: scratch.path + "/blobs/" + digest))
            #expect(SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined() == digest)
            #expect(bytes.prefix(4) == Data([0x50, 0x4B, 0x03, 0x04]))
            let attributes = try #require(try JSONSerialization.jsonObject(
                with: FileManager.default.contents(atPath: scratch.path + "/blobs/" + digest + ".attrs.json") ?? Data()) as? [String: Any])
            #expect(attributes["sha256"] as? String == digest && attributes["key"] as? String == digest && attributes["version"] as? Int == 1)

            let created = try await server.requests().first { $0.endpoint == "store" }
            let body = try #require(try JSONSerialization.jsonObject(with: Data((created?.body ?? "").utf8)) as? [String: Any])
            #expect(body["target_paths"] as? [String] == ["deps", "~/.tool"])
            #expect((body["scopes"] as? [String: Any])?.isEmpty == true)
            let parts = try #require(body["cache_key"] as? [[String: Any]])
            #expect(parts.map { $0["value"] as? String ?? "" }.joined().hasPrefix("deps-"))
            #expect(parts.first?["value"] as? String == "deps-" && parts.first?["mandatory"] as? Bool == true)

            try FileManager.default.removeItem(atPath: scratch.path + "/checkout/deps")
            try FileManager.default.removeItem(atPath: scratch.path + "/home/.tool")
            let (hitStatus, hitLog) = await restore(env, exportFile: exports)
            #expect(hitStatus == .success)
            #expect(hitLog.contains("deps: hit"))
            #expect(scratch.read("checkout/deps/a.txt") == "alpha")
            #expect(scratch.read("home/.tool/config") == "tool config")
            #expect(FileManager.default.isExecutableFile(atPath: scratch.path + "/checkout/deps/bin/run"))
            #expect(scratch.read("exports")?.contains("SWIFT_CACHE_HIT_DEPS=exact\n") == true)

            let (againStatus, againLog) = await save(env)
            #expect(againStatus == .success && againLog.contains("already cached"))
            #expect(!(hitLog + saveLog + missLog).contains(FakeRegistry.token))
        }
    }

    @Test func aChangedLockFileRestoresTheServersFallback() async throws {
        try await withFakeRegistry { server in
            let scratch = try Scratch()
            try makeProject(scratch)
            let env = environment(scratch, server, configuration: Self.partsFormat)
            _ = await save(env)
            let created = try await server.requests().first { $0.endpoint == "store" }
            let body = try #require(try JSONSerialization.jsonObject(with: Data((created?.body ?? "").utf8)) as? [String: Any])
            #expect(body["scopes"] as? [String: String] == ["branch": "feature"])
            let parts = try #require(body["cache_key"] as? [[String: Any]])
            #expect(parts.map { $0["mandatory"] as? Bool } == [true, true, false])
            #expect(parts.first?["value"] as? String == "deps")

            try scratch.write("checkout/lock.txt", "v2")
            try scratch.write("checkout/deps/a.txt", "changed")
            let exports = scratch.path + "/exports"
            let (status, log) = await restore(env, exportFile: exports)
            #expect(status == .success)
            #expect(log.contains("deps: fallback hit"))
            #expect(scratch.read("checkout/deps/a.txt") == "alpha")
            #expect(scratch.read("exports")?.contains("SWIFT_CACHE_HIT_DEPS=fallback\n") == true)
        }
    }

    @Test func aDependenciesKeyFallsBackThroughItsCutParts() async throws {
        try await withFakeRegistry { server in
            let scratch = try Scratch()
            try makeProject(scratch)
            let env = environment(scratch, server)
            _ = await save(env)
            try scratch.write("checkout/lock.txt", "v2")
            try FileManager.default.removeItem(atPath: scratch.path + "/checkout/deps")
            let exports = scratch.path + "/exports"
            let (status, log) = await restore(env, exportFile: exports)
            #expect(status == .success)
            #expect(log.contains("deps: fallback hit"), "\(log)")
            #expect(scratch.read("checkout/deps/a.txt") == "alpha")
            let exported = try #require(scratch.read("exports"))
            #expect(exported.contains("SWIFT_CACHE_HIT_DEPS=fallback\n"))
            // The matched key is the saved entry's, put back together from its parts.
            let saved = try #require(try await server.entries().first?["cache_key"] as? [[String: Any]])
            #expect(exported.contains("SWIFT_CACHE_MATCHED_KEY_DEPS=" + saved.map { $0["value"] as? String ?? "" }.joined() + "\n"))
        }
    }

    @Test(arguments: ["missing", "corrupt", "not a zip"])
    func aBadBlobIsAMissAndTheEntryIsExpired(damage: String) async throws {
        try await withFakeRegistry { server in
            let scratch = try Scratch()
            try makeProject(scratch)
            let env = environment(scratch, server)
            _ = await save(env)
            let digest = try #require(try blobNames(scratch).first { !$0.hasSuffix(".attrs.json") })
            let blob = scratch.path + "/blobs/" + digest
            switch damage {
            case "missing": try FileManager.default.removeItem(atPath: blob)
            case "corrupt":
                var bytes = try #require(FileManager.default.contents(atPath: blob))
                bytes[bytes.count / 2] ^= 0xFF
                try bytes.write(to: URL(fileURLWithPath: blob))
            default:
                // Bytes whose digest is the one the entry names but that are no archive of the agent's.
                let text = Data("not a zip".utf8)
                let fake = SHA256.hash(data: text).map { String(format: "%02x", $0) }.joined()
                try text.write(to: URL(fileURLWithPath: scratch.path + "/blobs/" + fake))
                try await server.addEntry(targetPaths: ["deps", "~/.tool"], parts: try await server.entries()[0]["cache_key"], digest: fake)
                try FileManager.default.removeItem(atPath: blob)
            }
            try scratch.write("checkout/deps/a.txt", "local")
            let (status, log) = await restore(env)
            #expect(status == .success)
            #expect(log.contains("deps: miss"))
            #expect(log.contains("Expired the registry entry"))
            #expect(scratch.read("checkout/deps/a.txt") == "local")
            let remaining = try await server.entries()
            #expect(remaining.isEmpty)
            #expect(try await server.requests().contains { $0.endpoint == "expire" && $0.status == 200 })
        }
    }

    @Test func aRegistryThatKeepsFailingIsAFailedRestoreAndTheJobGoesOn() async throws {
        try await withFakeRegistry { server in
            let scratch = try Scratch()
            try makeProject(scratch)
            try await server.fail("retrieve", with: Array(repeating: "503", count: 5))
            let (status, log) = await restore(environment(scratch, server))
            #expect(status == .success)
            #expect(log.contains("failed to restore"))
            #expect(log.contains("HTTP 503"))
            #expect(try await server.requests().filter { $0.endpoint == "retrieve" }.count == 5)
        }
    }

    @Test func aPassingFaultOnEachSaveCallIsRetriedOnItsOwn() async throws {
        try await withFakeRegistry { server in
            let scratch = try Scratch()
            try makeProject(scratch)
            for endpoint in ["peek", "registry", "store", "commit"] {
                try await server.fail(endpoint, with: ["reset", "html"])
            }
            let (status, log) = await save(environment(scratch, server))
            #expect(status == .success)
            #expect(log.contains("deps: saved"))
            let calls = try await server.requests()
            for endpoint in ["peek", "registry", "store", "commit"] {
                #expect(calls.filter { $0.endpoint == endpoint }.count == 3, "\(endpoint)")
            }
        }
    }

    /// Two jobs saving one entry at once: the registry refuses the second create or commit with a
    /// 409. That job's work is not lost (the other job's entry is there), so it is reported as
    /// saved by another job, not as a failure, and the conflict is not retried.
    @Test(arguments: ["store", "commit"])
    func aConflictOnCreateOrCommitIsAlreadySavedByAnotherJob(endpoint: String) async throws {
        try await withFakeRegistry { server in
            let scratch = try Scratch()
            try makeProject(scratch)
            try await server.fail(endpoint, with: ["409"])
            let (status, log) = await save(environment(scratch, server))
            #expect(status == .success)
            #expect(log.contains("already saved by another job"), "\(log)")
            #expect(!log.contains("not saved"), "\(log)")
            let calls = try await server.requests()
            #expect(calls.filter { $0.endpoint == endpoint }.count == 1)
            if endpoint == "store" { #expect(!calls.contains { $0.endpoint == "commit" }) }
        }
    }
}
