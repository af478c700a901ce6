import CacheKeys
import CacheYAML

/// `save-branches`: which branches may write caches, as globs (`main`, `release/*`). A platform
/// team uses it to keep short-lived branches from filling a shared store.
enum SaveBranches {
    static func validate(_ patterns: [String], source: String, node: YAMLNode?) throws(ConfigurationError) -> [String] {
        for pattern in patterns {
            do {
                _ = try GlobPattern(pattern)
            } catch {
                throw ConfigurationError(source: source, mark: node?.mark, message: "'save-branches': \(error)")
            }
        }
        return patterns
    }

    static func allows(_ branch: String, patterns: [String]) -> Bool {
        patterns.contains { pattern in (try? GlobPattern(pattern))?.matches(branch) ?? false }
    }
}
