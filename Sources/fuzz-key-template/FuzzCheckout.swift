import CacheKeys
import Foundation

/// The fixed context templates render in: an empty checkout directory made once per process
/// (scripts/fuzz points TMPDIR at a directory it removes, so even a crashed run leaves nothing),
/// a fixed clock, and an environment with most Buildkite variables set, one unset
/// (`organization` fails) and one blank (`env "BLANK"` renders empty).
enum FuzzCheckout {
    static let context = KeyContext(
        cacheID: "deps",
        checkoutDirectory: checkoutPath,
        environment: [
            "BUILDKITE_BRANCH": "main",
            "BUILDKITE_COMMIT": "0123456789abcdef0123456789abcdef01234567",
            "BUILDKITE_BUILD_NUMBER": "42",
            "BUILDKITE_PIPELINE_SLUG": "swift-cache",
            "BLANK": "  ",
        ],
        agentOS: "linux",
        agentArch: "amd64",
        now: Date(timeIntervalSince1970: 1_700_000_000)
    )

    /// Removed at a normal exit (libFuzzer's -max_total_time ends with exit()); rmdir only, as
    /// rendering never writes, so a non-empty directory would mean something is badly wrong.
    private static let checkoutPath: String = {
        let template = (NSTemporaryDirectory() as NSString).appendingPathComponent("fuzz-key-template-checkout.XXXXXX")
        var pathBytes = Array(template.utf8CString)
        guard let created = mkdtemp(&pathBytes) else {
            fatalError("fuzz-key-template: cannot create an empty checkout under \(NSTemporaryDirectory()) (errno \(errno)); set TMPDIR to a writable directory")
        }
        atexit { _ = rmdir(FuzzCheckout.checkoutPath) }
        return String(cString: created)
    }()
}
