import CacheArchive
import CacheRetry
import CacheYAML

/// Everything a user can set for the plugin, after validation. Names follow Buildkite plugin
/// convention (kebab-case), except inside cache definitions, which keep the agent's spelling so a
/// cache file moves between `buildkite-agent cache` and this plugin unchanged.
public struct PluginOptions: Sendable {
    public enum SaveWhen: String, Sendable, CaseIterable { case success, failure, always, never }

    public var caches: [CacheDefinition] = []
    public var configFile: String?
    public var store: String?
    public var saveWhen: SaveWhen = .success
    public var concurrency: Int = 2
    public var failOnError = false
    /// Pull requests from forks only read by default, so an outsider cannot poison what `main` restores.
    public var saveOnForkPullRequests = false
    public var compressionLevel = 3
    public var restoreRetry: RetryPolicy = .restore
    public var saveRetry: RetryPolicy = .save
    /// The most a restore may take in total before its unfinished caches count as failed.
    public var restoreTimeout: Duration = SideTimeout.restoreDefault
    /// The most a save may take in total before its unfinished caches count as failed.
    public var saveTimeout: Duration = SideTimeout.saveDefault
    /// Branch globs allowed to save (`main`, `release/*`); nil: every branch.
    public var saveBranches: [String]?
    /// Append a one-line summary per job to the build's `swift-cache` annotation.
    public var annotate = true
    /// Read by the hooks, which find the binaries with it; accepted here so it is not "unknown".
    public var binaryDir: String?
    /// Which symlinks restores create, for every cache that does not set its own `symlinks`.
    public var symlinks: SymlinkPolicy = .anywhere
    /// Print the resolved keys and paths and stop, touching neither the store nor the files: the
    /// binaries' `--dry-run`, reachable from a pipeline.
    public var dryRun = false

    public init() {}

    static let keys = ["caches", "config", "store", "save-when", "concurrency", "fail-on-error",
                       "save-on-fork-pull-requests", "save-branches", "compression-level", "retry", "annotate", "binary-dir",
                       "symlinks", "restore-timeout", "save-timeout", "dry-run"]

    /// Reads the options mapping over `base` (the agent environment's defaults); `caches` entries
    /// may use either definition format.
    static func decode(_ node: YAMLNode, source: String, base: PluginOptions = PluginOptions()) throws(ConfigurationError) -> PluginOptions {
        var reader = try MappingReader(node, source: source, context: "plugin configuration")
        var options = base
        if let list = try reader.value("caches") {
            options.caches = try CacheList.decode(list, source: source, context: "'caches'")
        }
        options.configFile = try reader.nonEmptyString("config")
        options.store = try reader.nonEmptyString("store")
        if let when = try reader.choice("save-when", from: SaveWhen.allCases.map(\.rawValue)) {
            options.saveWhen = SaveWhen(rawValue: when)!
        }
        options.concurrency = try reader.int("concurrency", in: 1...16) ?? options.concurrency
        options.failOnError = try reader.bool("fail-on-error") ?? options.failOnError
        options.saveOnForkPullRequests = try reader.bool("save-on-fork-pull-requests") ?? options.saveOnForkPullRequests
        if let branches = try reader.stringList("save-branches") {
            options.saveBranches = try SaveBranches.validate(branches.map(\.0), source: source, node: try reader.value("save-branches"))
        }
        options.compressionLevel = try reader.int("compression-level", in: 1...19) ?? options.compressionLevel
        if let retry = try reader.value("retry") {
            (options.restoreRetry, options.saveRetry) = try RetryOptions.decode(retry, source: source)
        }
        options.annotate = try reader.bool("annotate") ?? options.annotate
        options.binaryDir = try reader.nonEmptyString("binary-dir")
        options.symlinks = try Validation.symlinks(&reader) ?? options.symlinks
        options.restoreTimeout = try timeout("restore-timeout", &reader) ?? options.restoreTimeout
        options.saveTimeout = try timeout("save-timeout", &reader) ?? options.saveTimeout
        options.dryRun = try reader.bool("dry-run") ?? options.dryRun
        try reader.finish(allowed: keys)
        return options
    }

    private static func timeout(_ key: String, _ reader: inout MappingReader) throws(ConfigurationError) -> Duration? {
        guard let text = try reader.string(key) else { return nil }
        do {
            return try SideTimeout.parse(text)
        } catch {
            throw reader.error("'\(key)' \(error.message)", at: try reader.value(key))
        }
    }
}

/// `retry: { restore: {...}, save: {...} }`, each overriding its policy's defaults.
enum RetryOptions {
    static let policyKeys = ["attempts", "strategy", "interval", "jitter"]

    static func decode(_ node: YAMLNode, source: String) throws(ConfigurationError) -> (RetryPolicy, RetryPolicy) {
        var reader = try MappingReader(node, source: source, context: "'retry'")
        var restore = RetryPolicy.restore
        var save = RetryPolicy.save
        if let value = try reader.value("restore") { restore = try policy(value, base: restore, name: "restore", source: source) }
        if let value = try reader.value("save") { save = try policy(value, base: save, name: "save", source: source) }
        try reader.finish(allowed: ["restore", "save"])
        return (restore, save)
    }

    private static func policy(_ node: YAMLNode, base: RetryPolicy, name: String, source: String) throws(ConfigurationError) -> RetryPolicy {
        var reader = try MappingReader(node, source: source, context: "'retry.\(name)'")
        let attempts = try reader.int("attempts", in: 1...100)
        let strategy = try reader.choice("strategy", from: ["constant", "exponential", "exponential-subsecond"])
        let interval = try reader.string("interval")
        let jitter = try reader.string("jitter")
        try reader.finish(allowed: policyKeys)
        do {
            return try base.overriding(attempts: attempts, strategy: strategy, interval: interval, jitter: jitter)
        } catch {
            throw reader.error("'retry.\(name)': \(error)")
        }
    }
}
