import CacheArchive

/// Defaults a platform team sets once in the agent's environment, named after the plugin options
/// (`SWIFT_CACHE_CONCURRENCY` for `concurrency`). Plugin options override them; in agent-hook mode,
/// where a repository's cache file holds only cache definitions, they are the only settings. The
/// store's default is `BUILDKITE_CACHE_STORE_URL`, the name `buildkite-agent cache` uses.
enum EnvironmentDefaults {
    static let variables = [
        "SWIFT_CACHE_SAVE_WHEN", "SWIFT_CACHE_CONCURRENCY", "SWIFT_CACHE_FAIL_ON_ERROR",
        "SWIFT_CACHE_SAVE_ON_FORK_PULL_REQUESTS", "SWIFT_CACHE_SAVE_BRANCHES", "SWIFT_CACHE_COMPRESSION_LEVEL",
        "SWIFT_CACHE_ANNOTATE", "SWIFT_CACHE_SYMLINKS", "SWIFT_CACHE_RESTORE_TIMEOUT", "SWIFT_CACHE_SAVE_TIMEOUT",
    ]

    static func load(_ environment: JobEnvironment) throws(ConfigurationError) -> PluginOptions {
        var options = PluginOptions()
        if let text = environment["SWIFT_CACHE_SAVE_WHEN"] {
            guard let when = PluginOptions.SaveWhen(rawValue: text) else {
                throw error("SWIFT_CACHE_SAVE_WHEN", "must be one of success, failure, always, never, got '\(text)'")
            }
            options.saveWhen = when
        }
        options.concurrency = try int("SWIFT_CACHE_CONCURRENCY", environment, in: 1...16) ?? options.concurrency
        options.failOnError = try bool("SWIFT_CACHE_FAIL_ON_ERROR", environment) ?? options.failOnError
        options.saveOnForkPullRequests = try bool("SWIFT_CACHE_SAVE_ON_FORK_PULL_REQUESTS", environment) ?? options.saveOnForkPullRequests
        if let text = environment["SWIFT_CACHE_SAVE_BRANCHES"] {
            let patterns = text.split(separator: ",").map { String($0).trimmingWhitespace }.filter { !$0.isEmpty }
            options.saveBranches = try SaveBranches.validate(patterns, source: source("SWIFT_CACHE_SAVE_BRANCHES"), node: nil)
        }
        options.compressionLevel = try int("SWIFT_CACHE_COMPRESSION_LEVEL", environment, in: 1...19) ?? options.compressionLevel
        options.annotate = try bool("SWIFT_CACHE_ANNOTATE", environment) ?? options.annotate
        if let text = environment["SWIFT_CACHE_SYMLINKS"] {
            guard let policy = SymlinkPolicy(rawValue: text) else {
                throw error("SWIFT_CACHE_SYMLINKS", "must be anywhere or inside, got '\(text)'")
            }
            options.symlinks = policy
        }
        options.restoreTimeout = try timeout("SWIFT_CACHE_RESTORE_TIMEOUT", environment) ?? options.restoreTimeout
        options.saveTimeout = try timeout("SWIFT_CACHE_SAVE_TIMEOUT", environment) ?? options.saveTimeout
        return options
    }

    private static func source(_ name: String) -> String { "\(name) (agent environment)" }

    private static func error(_ name: String, _ message: String) -> ConfigurationError {
        ConfigurationError(source: source(name), mark: nil, message: message)
    }

    private static func int(_ name: String, _ environment: JobEnvironment, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let text = environment[name] else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw error(name, "must be a whole number from \(range.lowerBound) to \(range.upperBound), got '\(text)'")
        }
        return value
    }

    private static func timeout(_ name: String, _ environment: JobEnvironment) throws(ConfigurationError) -> Duration? {
        guard let text = environment[name] else { return nil }
        do {
            return try SideTimeout.parse(text)
        } catch let invalid {
            throw error(name, invalid.message)
        }
    }

    private static func bool(_ name: String, _ environment: JobEnvironment) throws(ConfigurationError) -> Bool? {
        guard let text = environment[name] else { return nil }
        switch text {
        case "true": return true
        case "false": return false
        default: throw error(name, "must be true or false, got '\(text)'")
        }
    }
}
