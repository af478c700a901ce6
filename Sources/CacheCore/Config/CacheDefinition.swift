import CacheArchive
import CacheKeys
import CacheYAML

/// One cache as the rest of the plugin sees it, whatever format it was written in: the agent's
/// `dependencies:` shape, its later `caches:` shape, a preset, or plugin options.
public struct CacheDefinition: Sendable {
    /// `[A-Za-z0-9_]+`, unique within a job; names the exported variables and the log lines.
    public let id: String
    public let key: KeyTemplate
    /// Tried in order as prefixes when the exact key misses; the newest entry of a prefix wins.
    public let fallbackKeys: [KeyTemplate]
    /// As written: relative to the checkout, `~/…` under the job's home, or absolute.
    public let paths: [String]
    /// Where the definition was written, for messages that point back at it.
    public let origin: Origin
    /// Where the key template was written (nil when a preset supplied it): a rendered key that
    /// cannot be used is reported there.
    public let keyMark: YAMLMark?
    /// Where each fallback template was written, in the order of `fallbackKeys`.
    public let fallbackKeyMarks: [YAMLMark?]
    /// Where each path was written (the definition's own mark when a preset supplied it), in the
    /// order of `paths`: overlapping paths are reported there.
    public let pathMarks: [YAMLMark?]
    /// Which symlinks a restore creates; nil until the loader applies the plugin-wide setting.
    public internal(set) var symlinks: SymlinkPolicy?

    /// Where path number `index` was written, for messages.
    func mark(ofPath index: Int) -> YAMLMark? {
        index < pathMarks.count ? pathMarks[index] ?? origin.mark : origin.mark
    }

    /// When a preset supplied the key: the preset's name and the lock files its key checksums.
    /// A repository without them (a Go module with no go.sum yet) skips the cache instead of
    /// failing the job, since the user never wrote the checksum.
    public let preset: (name: String, lockFiles: [String])?

    /// The key as the parts the `caches:` format wrote (nil for the other formats): the agent's
    /// cache registry matches part by part, so these reach it one by one.
    public let keyParts: [KeyPartTemplate]?
    /// The agent's `save_scopes`, when the definition has them.
    public let saveScopes: SaveScopes?

    /// An error about this definition, at `mark` or else where the definition starts.
    func error(_ message: String, at mark: YAMLMark? = nil) -> ConfigurationError {
        ConfigurationError(source: origin.source, mark: mark ?? origin.mark, message: "cache '\(id)': \(message)")
    }

    public struct Origin: Sendable, CustomStringConvertible {
        public let source: String
        public let mark: YAMLMark?
        public var description: String {
            guard let mark else { return source }
            return "\(source):\(mark.line):\(mark.column)"
        }
    }

    public init(id: String, key: KeyTemplate, fallbackKeys: [KeyTemplate], paths: [String], origin: Origin,
                keyMark: YAMLMark? = nil, fallbackKeyMarks: [YAMLMark?] = [], pathMarks: [YAMLMark?] = [],
                symlinks: SymlinkPolicy? = nil, preset: (name: String, lockFiles: [String])? = nil,
                keyParts: [KeyPartTemplate]? = nil, saveScopes: SaveScopes? = nil) {
        self.keyParts = keyParts
        self.saveScopes = saveScopes
        self.pathMarks = pathMarks
        self.symlinks = symlinks
        self.preset = preset
        self.keyMark = keyMark
        self.fallbackKeyMarks = fallbackKeyMarks
        self.id = id
        self.key = key
        self.fallbackKeys = fallbackKeys
        self.paths = paths
        self.origin = origin
    }
}

/// One part of a `caches:` key: its template, and whether a registry fallback must match it
/// (the parts up to and including `fallback_limit`; every part when there is none).
public struct KeyPartTemplate: Sendable {
    public let template: KeyTemplate
    public let mandatory: Bool
}
