import CacheArchive

/// Defaults a platform team sets once in the agent's environment, named after the plugin options
/// (`SWIFT_CACHE_CONCURRENCY` for `concurrency`). Plugin options override them; in agent-hook mode,
/// where a repository's cache file holds only cache definitions, they are the only settings. The
/// store's default is `BUILDKITE_CACHE_STORE_URL`, the name `buildkite-agent cache` uses.
///
/// A variable that a plugin option overrides is not read at all, so a bad fleet setting never
/// fails a step that sets the option itself: the step's author could not fix the fleet anyway.
enum EnvironmentDefaults {
    /// Each variable and the plugin option that overrides it.
    static let variables: KeyValuePairs<String, String> = [
        "SWIFT_CACHE_SAVE_WHEN": "save-when", "SWIFT_CACHE_CONCURRENCY": "concurrency",
        "SWIFT_CACHE_FAIL_ON_ERROR": "fail-on-error", "SWIFT_CACHE_SAVE_ON_FORK_PULL_REQUESTS": "save-on-fork-pull-requests",
        "SWIFT_CACHE_SAVE_BRANCHES": "save-branches", "SWIFT_CACHE_COMPRESSION_LEVEL": "compression-level",
        "SWIFT_CACHE_ANNOTATE": "annotate", "SWIFT_CACHE_SYMLINKS": "symlinks",
        "SWIFT_CACHE_RESTORE_TIMEOUT": "restore-timeout", "SWIFT_CACHE_SAVE_TIMEOUT": "save-timeout",
    ]

    /// The defaults from `environment`, leaving out (and not validating) every variable whose
    /// option is in `overridden`.
    static func load(_ environment: JobEnvironment, overridden: Set<String> = []) throws(ConfigurationError) -> PluginOptions {
        var options = PluginOptions()
        var values: [String: String] = [:]
        for (name, option) in variables where !overridden.contains(option) {
            if let text = environment[name] { values[name] = text }
        }
        if let text = values["SWIFT_CACHE_SAVE_WHEN"] {
            guard let when = PluginOptions.SaveWhen(rawValue: text) else {
                throw error("SWIFT_CACHE_SAVE_WHEN", "must be one of success, failure, always, never, got '\(text)'")
            }
            options.saveWhen = when
        }
        options.concurrency = try int("SWIFT_CACHE_CONCURRENCY", values, in: 1...16) ?? options.concurrency
        options.failOnError = try bool("SWIFT_CACHE_FAIL_ON_ERROR", values) ?? options.failOnError
        options.saveOnForkPullRequests = try bool("SWIFT_CACHE_SAVE_ON_FORK_PULL_REQUESTS", values) ?? options.saveOnForkPullRequests
        if let text = values["SWIFT_CACHE_SAVE_BRANCHES"] {
            let patterns = text.split(separator: ",").map { String($0).trimmingWhitespace }.filter { !$0.isEmpty }
            options.saveBranches = try SaveBranches.validate(patterns, source: source("SWIFT_CACHE_SAVE_BRANCHES"), node: nil)
        }
        options.compressionLevel = try int("SWIFT_CACHE_COMPRESSION_LEVEL", values, in: 1...19) ?? options.compressionLevel
        options.annotate = try bool("SWIFT_CACHE_ANNOTATE", values) ?? options.annotate
        if let text = values["SWIFT_CACHE_SYMLINKS"] {
            guard let policy = SymlinkPolicy(rawValue: text) else {
                throw error("SWIFT_CACHE_SYMLINKS", "must be anywhere or inside, got '\(text)'")
            }
            options.symlinks = policy
        }
        options.restoreTimeout = try timeout("SWIFT_CACHE_RESTORE_TIMEOUT", values) ?? options.restoreTimeout
        options.saveTimeout = try timeout("SWIFT_CACHE_SAVE_TIMEOUT", values) ?? options.saveTimeout
        return options
    }

    private static func source(_ name: String) -> String { "\(name) (agent environment)" }

    private static func error(_ name: String, _ message: String) -> ConfigurationError {
        ConfigurationError(source: source(name), mark: nil, message: message)
    }

    private static func int(_ name: String, _ values: [String: String], in range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let text = values[name] else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw error(name, "must be a whole number from \(range.lowerBound) to \(range.upperBound), got '\(text)'")
        }
        return value
    }

    private static func timeout(_ name: String, _ values: [String: String]) throws(ConfigurationError) -> Duration? {
        guard let text = values[name] else { return nil }
        do {
            return try SideTimeout.parse(text)
        } catch let invalid {
            throw error(name, invalid.message)
        }
    }

    /// The spellings the agent itself accepts for its boolean settings (Go's `strconv.ParseBool`),
    /// so a fleet's environment hook can use one style for every variable.
    static let trueSpellings: Set<String> = ["1", "t", "T", "TRUE", "true", "True"]
    static let falseSpellings: Set<String> = ["0", "f", "F", "FALSE", "false", "False"]

    private static func bool(_ name: String, _ values: [String: String]) throws(ConfigurationError) -> Bool? {
        guard let text = values[name] else { return nil }
        if trueSpellings.contains(text) { return true }
        if falseSpellings.contains(text) { return false }
        throw error(name, "must be true or false (or 1, t, TRUE, True / 0, f, FALSE, False, as the agent accepts), got '\(text)'")
    }
}
