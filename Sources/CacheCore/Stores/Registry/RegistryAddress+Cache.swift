extension RegistryAddress {
    /// Where a cache lives in the registry: its paths as written (an order-insensitive set on the
    /// server), and its key as parts.
    ///
    /// - `caches:` definitions keep the parts they were written with; the parts up to and
    ///   including `fallback_limit` are mandatory (every part when there is none), as the agent
    ///   sends them, so both read and write the same entries.
    /// - `key` + `fallback_keys` definitions: the rendered key is cut at the end of each fallback
    ///   key that is a prefix of it; the first piece (up to the shortest such fallback key) is
    ///   mandatory, the rest are not. The server's fallback then finds what each of our fallback
    ///   prefixes would. A fallback key that is not a prefix of the key cannot be said in parts:
    ///   it is returned in `unmapped`, for a warning.
    static func of(_ cache: ResolvedCache) -> (address: RegistryAddress, unmapped: [String]) {
        let paths = cache.paths.map(\.written)
        if let parts = cache.keyParts, !parts.isEmpty {
            return (RegistryAddress(targetPaths: paths, cacheKey: parts), [])
        }
        let key = cache.key
        var cuts: Set<Int> = []
        var unmapped: [String] = []
        for fallback in cache.fallbackKeys {
            if key.hasPrefix(fallback), !fallback.isEmpty, fallback.utf8.count < key.utf8.count {
                cuts.insert(fallback.utf8.count)
            } else {
                unmapped.append(fallback)
            }
        }
        let bytes = Array(key.utf8)
        var parts: [CacheKeyPart] = []
        var start = 0
        for end in cuts.sorted() + [bytes.count] {
            parts.append(CacheKeyPart(value: String(decoding: bytes[start..<end], as: UTF8.self), mandatory: parts.isEmpty))
            start = end
        }
        return (RegistryAddress(targetPaths: paths, cacheKey: parts), unmapped)
    }
}
