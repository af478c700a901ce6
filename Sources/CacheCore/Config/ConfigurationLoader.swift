import CacheYAML
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What the binaries run with: validated options and every cache definition, from wherever the
/// agent put them.
public struct Configuration: Sendable {
    public var options: PluginOptions
    public var caches: [CacheDefinition] { options.caches }
    /// Human words for where the definitions came from, for the log.
    public var origin: String
    /// Option paths of the plugin options when they came from the environment, for errors found
    /// after loading (a key that cannot be rendered).
    var optionPaths: OptionPaths?

    /// `error` pointing at the option path the user wrote, when it is about the plugin options.
    func locating(_ error: ConfigurationError) -> ConfigurationError {
        optionPaths?.locating(error) ?? error
    }
}

/// Finds the plugin's options the way the agent hands them over, loads any cache file, and joins
/// the definitions. Order: `BUILDKITE_PLUGIN_CONFIGURATION` (this plugin's options as JSON, set only
/// while the plugin's own hook runs); else, with no plugin configuration at all (the hooks
/// installed as agent hooks), the repository's `.buildkite/cache.yml` or `.yaml`.
///
/// Between the two sits a job whose step names this plugin in `BUILDKITE_PLUGINS` while
/// `BUILDKITE_PLUGIN_CONFIGURATION` is missing. That is either an agent hook beside the step's
/// plugin (whose own hook does the caching), or the plugin's own hook after the agent dropped every
/// plugin variable because an option is `null`. The options tell which: when they are valid, the
/// plugin's hook has them, and this run stands aside; when they are not, this run reports why,
/// with the option's path, instead of silently caching nothing.
public enum ConfigurationLoader {
    public static let pluginName = "swift-cache"

    /// What a job has to do, if anything.
    public enum Loaded: Sendable {
        case configured(Configuration)
        /// Nothing for this run, and the line that says why.
        case nothing(String)
    }

    /// nil: nothing configures this run (see `loadForJob` for why).
    public static func load(_ environment: JobEnvironment) throws(ConfigurationError) -> Configuration? {
        if case .configured(let configuration) = try loadForJob(environment) { return configuration }
        return nil
    }

    public static func loadForJob(_ environment: JobEnvironment) throws(ConfigurationError) -> Loaded {
        let checkout = environment.checkoutDirectory
        if let json = environment["BUILDKITE_PLUGIN_CONFIGURATION"] {
            let source = "plugin configuration (BUILDKITE_PLUGIN_CONFIGURATION)"
            guard let node = try parse(json, source: source) else {
                throw ConfigurationError(source: source, mark: nil, message: "the plugin configuration is empty")
            }
            return .configured(try configuration(options: node, source: source, environment: environment))
        }
        if let node = try stepPluginEntry(environment) {
            _ = try configuration(options: node, source: stepPluginSource, environment: environment)
            return .nothing("the step's swift-cache plugin handles caching; this agent or repository hook stands aside")
        }
        guard let file = try repositoryCacheFile(checkout: checkout) else {
            return .nothing("no caches configured for this job (no plugin options, no .buildkite/cache.yml)")
        }
        if let reason = outsideCheckout(file, checkout: checkout) {
            throw ConfigurationError(source: file, mark: nil, message: "\(reason); commit the cache file itself")
        }
        var options = try EnvironmentDefaults.load(environment)
        options.caches = try CacheFile.load(path: checkout + "/" + file, displayName: file)
        return .configured(Configuration(options: try completed(options), origin: file))
    }

    static let stepPluginSource = "plugin configuration (BUILDKITE_PLUGINS)"

    /// The checks that need every definition at once, and the plugin-wide settings applied to
    /// caches that leave them out.
    static func completed(_ options: PluginOptions,
                          describe: (CacheDefinition.Origin) -> String = \.description) throws(ConfigurationError) -> PluginOptions {
        try checkUnique(options.caches, describe: describe)
        try PathOverlap.checkAcrossCaches(options.caches)
        var options = options
        for index in options.caches.indices where options.caches[index].symlinks == nil {
            options.caches[index].symlinks = options.symlinks
        }
        return options
    }

    /// Decodes plugin options given as `node`, with errors located by option path, fleet defaults
    /// under them, and the `config` file's definitions added.
    private static func configuration(options node: YAMLNode, source: String,
                                      environment: JobEnvironment) throws(ConfigurationError) -> Configuration {
        let paths = OptionPaths(root: node, source: source)
        let checkout = environment.checkoutDirectory
        do throws(ConfigurationError) {
            let given = Set(node.mapping?.compactMap { $0.key.string } ?? [])
            let defaults = try EnvironmentDefaults.load(environment, overridden: given)
            var options = try PluginOptions.decode(node, source: source, base: defaults)
            var origin = source
            if let file = options.configFile {
                let path = checkout + "/" + file
                if let reason = outsideCheckout(file, checkout: checkout) {
                    throw ConfigurationError(source: source, mark: node["config"]?.mark,
                        message: "config file '\(file)' \(reason); name a file inside the repository, relative to its root")
                }
                guard FileManager.default.fileExists(atPath: path) else {
                    throw ConfigurationError(source: source, mark: node["config"]?.mark,
                        message: "config file '\(file)' does not exist (looked in \(checkout))")
                }
                options.caches += try CacheFile.load(path: path, displayName: file)
                origin += " and \(file)"
            }
            return Configuration(options: try completed(options, describe: paths.describe), origin: origin, optionPaths: paths)
        } catch {
            throw paths.locating(error)
        }
    }

    /// This plugin's options in `BUILDKITE_PLUGINS`; nil when the step does not name this plugin.
    static func stepPluginEntry(_ environment: JobEnvironment) throws(ConfigurationError) -> YAMLNode? {
        guard let json = environment["BUILDKITE_PLUGINS"] else { return nil }
        let source = stepPluginSource
        guard let list = try parse(json, source: source)?.sequence else { return nil }
        for element in list {
            if let location = element.string, element.mapping == nil, isThisPlugin(location) {
                throw ConfigurationError(source: source, mark: element.mark,
                    message: "\(location) has no options: give it at least 'caches' or 'config'")
            }
            guard let pairs = element.mapping, pairs.count == 1, let location = pairs[0].key.string,
                  isThisPlugin(location) else { continue }
            if pairs[0].value.isNull {
                throw ConfigurationError(source: source, mark: pairs[0].value.mark,
                    message: "\(location) has no options (null): give it at least 'caches' or 'config'")
            }
            return pairs[0].value
        }
        return nil
    }

    /// `org/swift-cache#v1`, `github.com/org/swift-cache-buildkite-plugin.git#main`, `./swift-cache`.
    /// The hooks decide this in bash too (`hooks/lib/agent_mode.bash`), before any binary is
    /// located: both are tested against `Tests/cases/plugin-names.txt`.
    static func isThisPlugin(_ location: String) -> Bool {
        var name = Substring(location.split(separator: "#", maxSplits: 1).first ?? "")
        while name.hasSuffix("/") { name.removeLast() }
        if let slash = name.lastIndex(of: "/") { name = name[name.index(after: slash)...] }
        if name.hasSuffix(".git") { name.removeLast(4) }
        if name.hasSuffix("-buildkite-plugin") { name.removeLast("-buildkite-plugin".count) }
        return name == pluginName
    }

    /// Why `file` is not a file of the checkout, or nil. The cache file is the repository's: an
    /// absolute path, a `..` that climbs out, or a link that leads out would read a file of the
    /// agent host instead (and a fork's pull request could point it anywhere).
    static func outsideCheckout(_ file: String, checkout: String) -> String? {
        if file.hasPrefix("/") || file.hasPrefix("~") { return "is not relative to the checkout" }
        var depth = 0
        for component in file.split(separator: "/") where component != "." {
            depth += component == ".." ? -1 : 1
            if depth < 0 { return "climbs out of the checkout" }
        }
        guard let base = CachePath.realPath(checkout), let resolved = CachePath.realPath(checkout + "/" + file) else { return nil }
        return resolved.hasPrefix(base + "/") ? nil : "leads out of the checkout through a symbolic link"
    }

    /// Also decided by the hooks in bash; both are tested against `Tests/cases/cache-files.txt`.
    static func repositoryCacheFile(checkout: String) throws(ConfigurationError) -> String? {
        let candidates = [".buildkite/cache.yml", ".buildkite/cache.yaml"]
        let present = candidates.filter { FileManager.default.fileExists(atPath: checkout + "/" + $0) }
        if present.count > 1 {
            throw ConfigurationError(source: checkout, mark: nil,
                message: "both .buildkite/cache.yml and .buildkite/cache.yaml exist: keep one")
        }
        return present.first
    }

    private static func parse(_ text: String, source: String) throws(ConfigurationError) -> YAMLNode? {
        do {
            return try YAMLLoader.load(text, source: source)
        } catch {
            throw ConfigurationError(error)
        }
    }

    /// Ids are compared upper-cased, as they appear in the exported names: `deps` and `DEPS` would
    /// both write SWIFT_CACHE_HIT_DEPS, and the second would silently overwrite the first.
    static func checkUnique(_ caches: [CacheDefinition],
                            describe: (CacheDefinition.Origin) -> String = \.description) throws(ConfigurationError) {
        var seen: [String: CacheDefinition] = [:]
        for cache in caches {
            let exported = cache.id.uppercased()
            if let first = seen[exported] {
                let what = first.id == cache.id
                    ? "cache id '\(cache.id)' is defined twice (first at \(describe(first.origin))); ids must be unique"
                    : "cache ids '\(first.id)' (at \(describe(first.origin))) and '\(cache.id)' differ only in case; both would "
                        + "export SWIFT_CACHE_HIT_\(exported): rename one"
                throw ConfigurationError(source: cache.origin.source, mark: cache.origin.mark, message: what)
            }
            seen[exported] = cache
        }
    }
}
