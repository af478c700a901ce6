#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The job as the agent describes it through environment variables, read once so the rest of the
/// core never touches the process environment (tests pass a dictionary instead).
public struct JobEnvironment: Sendable {
    public let variables: [String: String]
    /// Variables whose value is not valid UTF-8. Their value in `variables` has U+FFFD for each bad
    /// byte, so two different values can read the same: they must not name a scope or go into a
    /// key (see `CommandSetup` and `ResolvedCache`), where that would make two branches share one.
    public let nonUTF8Names: Set<String>

    public init(_ variables: [String: String], nonUTF8Names: Set<String> = []) {
        self.variables = variables
        self.nonUTF8Names = nonUTF8Names
    }

    /// This process's environment, read as bytes so that values that are not UTF-8 are known.
    public init() {
        var variables: [String: String] = [:]
        var invalid: Set<String> = []
        #if canImport(Darwin)
        var entry = _NSGetEnviron().pointee!
        #else
        var entry = environ
        #endif
        while let pointer = entry.pointee {
            let bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self),
                                                  count: strlen(pointer)))
            if let equals = bytes.firstIndex(of: 0x3D) {
                let name = String(decoding: bytes[..<equals], as: UTF8.self)
                let valueBytes = bytes[(equals + 1)...]
                if String(validating: valueBytes, as: UTF8.self) == nil { invalid.insert(name) }
                if variables[name] == nil { variables[name] = String(decoding: valueBytes, as: UTF8.self) }
            }
            entry += 1
        }
        self.init(variables, nonUTF8Names: invalid)
    }

    public subscript(name: String) -> String? {
        guard let value = variables[name], !value.isEmpty else { return nil }
        return value
    }

    /// The job's checkout: relative cache paths and checksum globs are resolved against it.
    public var checkoutDirectory: String {
        self["BUILDKITE_BUILD_CHECKOUT_PATH"] ?? FileManager.default.currentDirectoryPath
    }

    public var homeDirectory: String {
        self["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path
    }

    public var organization: String { self["BUILDKITE_ORGANIZATION_SLUG"] ?? "local" }
    public var pipeline: String { self["BUILDKITE_PIPELINE_SLUG"] ?? "local" }
    public var branch: String { self["BUILDKITE_BRANCH"] ?? "local" }
    public var defaultBranch: String? { self["BUILDKITE_PIPELINE_DEFAULT_BRANCH"] }

    /// A pull request whose head lives in another repository (a fork). The agent sets
    /// BUILDKITE_PULL_REQUEST to "false" for non-PR builds.
    public var isForkPullRequest: Bool {
        guard let pr = self["BUILDKITE_PULL_REQUEST"], pr != "false" else { return false }
        guard let headRepo = self["BUILDKITE_PULL_REQUEST_REPO"] else { return false }
        guard let repo = self["BUILDKITE_REPO"] else { return true }
        return Self.normalizedRepository(headRepo) != Self.normalizedRepository(repo)
    }

    /// `git@github.com:a/b.git`, `https://github.com/a/b` and `https://github.com/a/b.git` are one repository.
    static func normalizedRepository(_ url: String) -> String {
        var text = url.lowercased()
        if text.hasSuffix(".git") { text.removeLast(4) }
        for prefix in ["https://", "http://", "ssh://", "git://", "git@"] where text.hasPrefix(prefix) {
            text.removeFirst(prefix.count)
        }
        if let at = text.firstIndex(of: "@") { text = String(text[text.index(after: at)...]) }
        return text.replacing(":", with: "/")
    }

    /// The command's exit status, as the agent gives it to post-command hooks.
    public var commandExitStatus: Int? { self["BUILDKITE_COMMAND_EXIT_STATUS"].flatMap { Int($0) } }
}
