import Foundation
import Testing
@testable import CacheCore

@Suite("Build annotations")
struct AnnotationTests {
    /// A stand-in `buildkite-agent` that records its arguments and input, and exits with `status`.
    func fakeAgent(_ scratch: Scratch, status: Int) throws -> String {
        try scratch.write("bin/buildkite-agent", """
            #!/bin/sh
            echo "$@" > "\(scratch.path)/annotate-args"
            cat > "\(scratch.path)/annotate-body"
            exit \(status)
            """, mode: 0o755)
        return scratch.path + "/bin"
    }

    @Test func restoreAndSaveAppendTheirSummaries() async throws {
        let scratch = try Scratch()
        try scratch.write("checkout/deps/a.txt", "alpha")
        let bin = try fakeAgent(scratch, status: 0)
        let env = jobEnvironment(scratch, configuration: #"{"caches":[{"id":"deps","key":"deps-1","paths":["deps"]}]}"#,
                                 extra: ["PATH": bin, "BUILDKITE_LABEL": ":npm: test"])
        let captured = CapturedLog()
        #expect(await SaveJob.run(environment: env, log: captured.log, dryRun: false) == .success)
        #expect(scratch.read("annotate-args")?.contains("annotate --context swift-cache --style info --append") == true)
        #expect(scratch.read("annotate-body")?.contains("**:npm: test** saved: `deps` 💾 saved") == true)
        #expect(await RestoreJob.run(environment: env, log: captured.log, exportFile: nil, dryRun: false) == .success)
        #expect(scratch.read("annotate-body")?.contains("`deps` ✅ exact hit") == true)
    }

    @Test func aFailingAgentIsOnlyAWarning() async throws {
        let scratch = try Scratch()
        let bin = try fakeAgent(scratch, status: 3)
        let env = jobEnvironment(scratch, configuration: #"{"caches":[{"id":"deps","key":"deps-1","paths":["deps"]}]}"#,
                                 extra: ["PATH": bin])
        let captured = CapturedLog()
        #expect(await RestoreJob.run(environment: env, log: captured.log, exportFile: nil, dryRun: false) == .success)
        #expect(captured.text.contains("buildkite-agent annotate exited with status 3"))
    }

    @Test func annotateFalseRunsNoAgent() async throws {
        let scratch = try Scratch()
        let bin = try fakeAgent(scratch, status: 0)
        let env = jobEnvironment(scratch, configuration: #"{"annotate":false,"caches":[{"id":"deps","key":"deps-1","paths":["deps"]}]}"#,
                                 extra: ["PATH": bin])
        let captured = CapturedLog()
        #expect(await RestoreJob.run(environment: env, log: captured.log, exportFile: nil, dryRun: false) == .success)
        #expect(!scratch.exists("annotate-args"))
    }

    @Test func aHungAgentIsGivenUpOn() async throws {
        let scratch = try Scratch()
        try scratch.write("bin/buildkite-agent", "#!/bin/sh\nexec sleep 30\n", mode: 0o755)
        let captured = CapturedLog()
        // The recording clock returns at once: the timeout fires without any real waiting.
        let ok = await Annotation.append("x", environment: JobEnvironment(["PATH": scratch.path + "/bin"]), log: captured.log,
                                         timeout: .seconds(10), clock: RecordingClock())
        #expect(!ok)
        #expect(captured.text.contains("did not finish within 10.0s"))
    }
}
