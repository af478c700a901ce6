#if FUZZING
import Glibc

/// Starts libFuzzer from a Swift `main` through `LLVMFuzzerRunDriver`, libFuzzer's documented
/// entry for programs that have their own `main`.
///
/// Looked up with `dlsym` rather than declared, because Swift cannot declare a C function without
/// a C module, and a C target only for this one declaration is more machinery than the lookup.
/// scripts/fuzz exports the symbol (`--export-dynamic-symbol`) so that the lookup can find it.
public enum LibFuzzerDriver {
    public typealias Callback = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    private typealias RunDriver = @convention(c) (
        UnsafeMutablePointer<CInt>,
        UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        Callback
    ) -> CInt

    public static func run(_ callback: Callback) -> Never {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "LLVMFuzzerRunDriver") else {
            fatalError("LLVMFuzzerRunDriver is not linked in; build with scripts/fuzz (swiftc -sanitize=fuzzer and -Xlinker --export-dynamic-symbol=LLVMFuzzerRunDriver)")
        }
        let runDriver = unsafeBitCast(symbol, to: RunDriver.self)
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(runDriver(&argc, &argv, callback))
    }
}
#endif
