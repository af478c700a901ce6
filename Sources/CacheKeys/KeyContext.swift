#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Everything a key template may read, gathered by the caller so that rendering never looks at
/// the process environment or the clock itself: the same context always renders the same key,
/// and tests can pin every input.
public struct KeyContext: Sendable {
    public var cacheID: String
    /// Absolute; relative `checksum` patterns are resolved against it.
    public var checkoutDirectory: String
    /// The job's environment (`BUILDKITE_BRANCH`, `BUILDKITE_PIPELINE_SLUG`, ...).
    public var environment: [String: String]
    /// Spelled like the Buildkite agent spells it (Go's `GOOS`): "linux", "darwin", "windows", ...
    /// so keys written by `buildkite-agent cache` and by us agree.
    public var agentOS: String
    /// Go's `GOARCH` spelling: "amd64", "arm64", ...
    public var agentArch: String
    /// The instant `{{ epoch }}` and `{{ date }}` render.
    public var now: Date

    public init(cacheID: String, checkoutDirectory: String, environment: [String: String],
                agentOS: String = KeyContext.hostOS, agentArch: String = KeyContext.hostArch, now: Date = Date()) {
        self.cacheID = cacheID
        self.checkoutDirectory = checkoutDirectory
        self.environment = environment
        self.agentOS = agentOS
        self.agentArch = agentArch
        self.now = now
    }

    /// This machine's OS in `GOOS` spelling.
    public static var hostOS: String {
        #if os(Linux)
        return "linux"
        #elseif os(macOS)
        return "darwin"
        #elseif os(Windows)
        return "windows"
        #elseif os(FreeBSD)
        return "freebsd"
        #elseif os(OpenBSD)
        return "openbsd"
        #elseif os(iOS)
        return "ios"
        #else
        return "unknown"
        #endif
    }

    /// This machine's architecture in `GOARCH` spelling.
    public static var hostArch: String {
        #if arch(x86_64)
        return "amd64"
        #elseif arch(arm64)
        return "arm64"
        #elseif arch(i386)
        return "386"
        #elseif arch(arm)
        return "arm"
        #elseif arch(powerpc64le)
        return "ppc64le"
        #elseif arch(s390x)
        return "s390x"
        #else
        return "unknown"
        #endif
    }
}
