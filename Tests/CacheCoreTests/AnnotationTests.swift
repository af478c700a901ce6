import CacheRetry
import Foundation
import Synchronization
import TestSupport
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

    @Test func underTheHooksAJobAppendsOneRowWithRestoreAndSave() async throws {
        let scratch = try Scratch()
        try scratch.write("checkout/deps/a.txt", "alpha")
        try scratch.write("bin/buildkite-agent", """
            #!/bin/sh
            cat >> "\(scratch.path)/annotate-bodies"
            """, mode: 0o755)
        let env = jobEnvironment(scratch, configuration: #"{"caches":[{"id":"deps","key":"deps-1","paths":["deps"]}]}"#,
                                 extra: ["PATH": scratch.path + "/bin", "BUILDKITE_LABEL": "test", "BUILDKITE_COMMAND_EXIT_STATUS": "0"])
        let state = scratch.path + "/state"
        let captured = CapturedLog()
        #expect(await RestoreJob.run(environment: env, log: captured.log, exportFile: nil, dryRun: false, stateFile: state) == .success)
        #expect(!scratch.exists("annotate-bodies"))
        #expect(await SaveJob.run(environment: env, log: captured.log, dryRun: false, stateFile: state) == .success)
        let bodies = try #require(scratch.read("annotate-bodies"))
        #expect(bodies.split(separator: "\n").count == 1, "\(bodies)")
        #expect(bodies.contains("**test** restored: `deps` ➖ miss"))
        #expect(bodies.contains("; saved: `deps` 💾 saved"))
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

@Suite("Annotations never fail or hold the job")
struct AnnotationExchangeTests {
    @Test func anAgentThatExitsWithoutReadingAHugeLabelIsNoSIGPIPE() async throws {
        let scratch = try Scratch()
        try scratch.write("bin/buildkite-agent", "#!/bin/sh\nexit 0\n", mode: 0o755)
        let label = String(repeating: "x", count: 200_000)
        let env = jobEnvironment(scratch, configuration: #"{"caches":[{"id":"deps","key":"deps-1","paths":["deps"]}]}"#,
                                 extra: ["PATH": scratch.path + "/bin", "BUILDKITE_LABEL": label])
        let captured = CapturedLog()
        for _ in 0..<20 {
            #expect(await RestoreJob.run(environment: env, log: captured.log, exportFile: nil, dryRun: false) == .success)
        }
        #expect(!captured.text.contains("annotate"))
    }

    /// The agent's child holds the write end of a FIFO: its first line says it runs, the end of the
    /// stream says it is gone. Both are events the test blocks on, never a poll; the time limit
    /// only ends a test that would otherwise hang.
    @Test(.timeLimit(.minutes(1))) func aTimeoutEndsTheAgentAndWhatItLeftRunning() async throws {
        let scratch = try Scratch()
        let fifo = scratch.path + "/child.fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        // Our own writer keeps the reader from seeing an end before the child has opened its end.
        let reader = open(fifo, O_RDONLY | O_NONBLOCK)
        let ownWriter = open(fifo, O_WRONLY)
        try #require(reader >= 0 && ownWriter >= 0)
        _ = fcntl(reader, F_SETFL, 0)
        let child = FileHandle(fileDescriptor: reader, closeOnDealloc: true)
        // The agent starts a child that would hold the job's log open, then hangs itself.
        try scratch.write("bin/buildkite-agent", """
            #!/bin/sh
            (echo running; exec sleep 300) > "\(fifo)" &
            exec sleep 300
            """, mode: 0o755)
        let captured = CapturedLog()
        let clock = GateClock()
        async let appended = Annotation.append("x", environment: JobEnvironment(["PATH": scratch.path + "/bin"]),
                                               log: captured.log, timeout: .seconds(10), clock: clock)
        // Fire the timeout only once the agent has started its child.
        #expect(await readLine(child) == "running")
        close(ownWriter)
        clock.fire()
        #expect(await appended == false)
        #expect(captured.text.contains("did not finish within 10.0s"))
        #expect(await readLine(child) == "", "the agent's child ended, closing its end of the FIFO")
    }

    @Test func theAgentsOwnErrorIsInTheWarning() async throws {
        let scratch = try Scratch()
        try scratch.write("bin/buildkite-agent", "#!/bin/sh\necho 'fatal: missing access token' >&2\nexit 1\n", mode: 0o755)
        let captured = CapturedLog()
        let ok = await Annotation.append("x", environment: JobEnvironment(["PATH": scratch.path + "/bin"]), log: captured.log)
        #expect(!ok)
        #expect(captured.text.contains("exited with status 1: fatal: missing access token"))
    }
}
