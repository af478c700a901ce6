import Testing
import CacheCLI

/// A release ships one program under two names; the name it is started as picks the command.
@Suite struct MultiCallTests {
    @Test(arguments: [
        ("cache-save", MultiCall.Command.save),
        ("/opt/swift-cache/1.1.0/bin/cache-save", .save),
        ("./cache-restore", .restore),
        ("/usr/local/bin/cache-restore", .restore),
    ])
    func theNameItIsStartedAsPicksTheCommand(argument0: String, expected: MultiCall.Command) {
        #expect(MultiCall.command(invokedAs: argument0, fallback: .restore) == expected)
        #expect(MultiCall.command(invokedAs: argument0, fallback: .save) == expected)
    }

    @Test(arguments: ["swift-cache", "cache-save-old", "", "/tmp/cache-save/x"])
    func anyOtherNameRunsTheCommandTheExecutableWasBuiltAs(argument0: String) {
        #expect(MultiCall.command(invokedAs: argument0, fallback: .save) == .save)
        #expect(MultiCall.command(invokedAs: argument0, fallback: .restore) == .restore)
    }
}
