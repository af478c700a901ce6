import CacheS3
import TestSupport
import Foundation
import Testing
@testable import CacheCore

/// An `agent_managed` registry whose blobs live in S3 (`BUILDKITE_AGENT_CACHE_STORE_URL=s3://…`),
/// against moto_server: blobs are stored under PREFIX/<sha256 hex> through our S3 transfer code.
@Suite("Registry blobs in S3", .motoServer)
struct RegistryS3BlobTests {
    @Test func saveStoresTheBlobUnderItsDigestAndRestoreReadsIt() async throws {
        let s3 = try #require(MotoServer.current)
        let bucket = try await s3.store()
        try await withFakeRegistry(store: "agent_managed") { server in
            let scratch = try Scratch()
            try scratch.write("checkout/lock.txt", "v1")
            try scratch.write("checkout/deps/a.txt", "alpha")
            let environment = jobEnvironment(scratch, configuration: RegistryRoundTripTests.dependencies, extra: [
                "BUILDKITE_AGENT_ENDPOINT": server.endpoint,
                "BUILDKITE_AGENT_ACCESS_TOKEN": FakeRegistry.token,
                "BUILDKITE_AGENT_CACHE_STORE_URL": "s3://\(bucket.client.location.bucket)/agent%20blobs?endpoint=\(s3.endpoint)&region=us-east-1",
                "AWS_ACCESS_KEY_ID": "AKIDSTORETEST", "AWS_SECRET_ACCESS_KEY": "store/secret/key", "AWS_EC2_METADATA_DISABLED": "true",
                "TMPDIR": scratch.path,
            ])
            let saved = CapturedLog()
            #expect(await SaveJob.run(environment: environment, log: saved.log, dryRun: false, clock: RecordingClock(), random: ZeroRandom()) == .success)
            #expect(saved.text.contains("deps: saved"), "\(saved.text)")

            let entry = try #require(try await server.entries().first)
            let digest = try #require(((entry["blobs"] as? [[String: Any]])?.first?["digest"] as? [String: Any])?["value"] as? String)
            let listed = try await bucket.client.list(prefix: "agent blobs/").objects.map(\.key)
            #expect(listed == ["agent blobs/\(digest)"])

            try FileManager.default.removeItem(atPath: scratch.path + "/checkout/deps")
            let restored = CapturedLog()
            #expect(await RestoreJob.run(environment: environment, log: restored.log, exportFile: nil, dryRun: false,
                                         clock: RecordingClock(), random: ZeroRandom()) == .success)
            #expect(restored.text.contains("deps: hit"), "\(restored.text)")
            #expect(scratch.read("checkout/deps/a.txt") == "alpha")

            try await bucket.client.delete("agent blobs/\(digest)")
            let missing = CapturedLog()
            _ = await RestoreJob.run(environment: environment, log: missing.log, exportFile: nil, dryRun: false,
                                     clock: RecordingClock(), random: ZeroRandom())
            #expect(missing.text.contains("deps: miss") && missing.text.contains("Expired the registry entry"), "\(missing.text)")
            #expect(try await server.entries().isEmpty)
        }
    }
}
