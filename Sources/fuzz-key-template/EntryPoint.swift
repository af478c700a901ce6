import FuzzSupport

#if FUZZING
/// libFuzzer's callback (built by scripts/fuzz with `-sanitize=fuzzer -DFUZZING`): a violated
/// property becomes a crash, which libFuzzer saves as a reproducer.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKeyTemplate(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    if let violation = KeyTemplateProperty.check(bytes) {
        fatalError("fuzz-key-template property violated: \(violation)")
    }
    return 0
}

/// SwiftPM links every executable's entry point as `main`, which keeps libFuzzer's own `main`
/// out of the link; so ours hands the command line to libFuzzer's driver.
@main
enum FuzzKeyTemplate {
    static func main() {
        LibFuzzerDriver.run(fuzzKeyTemplate)
    }
}
#else
/// In a normal build: replays corpus files (seeds, past reproducers) through the same property,
/// so `swift run fuzz-key-template Fuzz/corpus/key-template` is a regression test that needs no
/// fuzzer runtime.
@main
enum ReplayKeyTemplateCorpus {
    static func main() {
        CorpusReplay.run(tool: "fuzz-key-template", check: KeyTemplateProperty.check)
    }
}
#endif
