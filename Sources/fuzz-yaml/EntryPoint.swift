import FuzzSupport

#if FUZZING
/// libFuzzer's callback (built by scripts/fuzz with `-sanitize=fuzzer -DFUZZING`): a violated
/// property becomes a crash, which libFuzzer saves as a reproducer.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzYAMLLoader(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    if let violation = YAMLLoaderProperty.check(bytes) {
        fatalError("fuzz-yaml property violated: \(violation)")
    }
    return 0
}

/// SwiftPM links every executable's entry point as `main`, which keeps libFuzzer's own `main`
/// out of the link; so ours hands the command line to libFuzzer's driver.
@main
enum FuzzYAMLLoader {
    static func main() {
        LibFuzzerDriver.run(fuzzYAMLLoader)
    }
}
#else
/// In a normal build: replays corpus files (seeds, past reproducers) through the same property,
/// so `swift run fuzz-yaml Fuzz/corpus/yaml` is a regression test that needs no fuzzer runtime.
@main
enum ReplayYAMLCorpus {
    static func main() {
        CorpusReplay.run(tool: "fuzz-yaml", check: YAMLLoaderProperty.check)
    }
}
#endif
