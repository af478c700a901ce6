import CacheYAML

/// Whether two cache paths share files: one is the other, or lies inside it.
///
/// Restoring replaces each path wholesale, so two overlapping paths cannot both be restored (the
/// outer swap would replace, or be split by, the inner one) and a save would store the inner files
/// twice. Such definitions are refused when they are loaded, with their positions: within one
/// cache, and between the caches of one job (two caches restored at once into one tree would race).
enum PathOverlap {
    /// For two absolute paths, or two spellings from `CachePath.normalizedForComparison` (paths
    /// under different roots, `~/x` and `x`, never match here; they are compared again once
    /// resolved to absolute paths).
    static func overlaps(_ a: String, _ b: String) -> Bool {
        a == b || a.hasPrefix(b.hasSuffix("/") ? b : b + "/") || b.hasPrefix(a.hasSuffix("/") ? a : a + "/")
    }

    /// The first pair of paths of different caches that overlap, checked on the written spellings.
    static func checkAcrossCaches(_ caches: [CacheDefinition]) throws(ConfigurationError) {
        var earlier: [(normal: String, written: String, cache: CacheDefinition, index: Int)] = []
        for cache in caches {
            for (index, path) in cache.paths.enumerated() {
                let normal = CachePath.normalizedForComparison(path)
                if let clash = earlier.first(where: { $0.cache.id != cache.id && overlaps($0.normal, normal) }) {
                    throw ConfigurationError(source: cache.origin.source, mark: cache.mark(ofPath: index),
                        message: overlapMessage(cache.id, "'\(path)'", clash.cache.id, "'\(clash.written)'",
                                                at: position(clash.cache, path: clash.index)))
                }
                earlier.append((normal, path, cache, index))
            }
        }
    }

    /// `FILE:LINE:COLUMN` of a path, as the other half of a message.
    static func position(_ cache: CacheDefinition, path index: Int) -> String {
        guard let mark = cache.mark(ofPath: index) else { return cache.origin.source }
        return "\(cache.origin.source):\(mark.line):\(mark.column)"
    }

    static func overlapMessage(_ id: String, _ path: String, _ otherID: String, _ otherPath: String, at position: String) -> String {
        "cache '\(id)': path \(path) overlaps path \(otherPath) of cache '\(otherID)' (\(position)); "
            + "two caches restored into one tree would replace each other's files: "
            + "cache the outer path once, or pick paths that do not contain each other"
    }
}
