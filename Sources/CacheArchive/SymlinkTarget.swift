/// Decides whether a symlink from an archive may be created, and with which target.
///
/// libarchive's SECURE_SYMLINKS stops writing *through* a symlink but will
/// happily create `link -> /etc`; a restored cache with such a link would
/// let the build write outside the cache path. So every target is resolved
/// lexically from the link's own directory and must stay inside the member.
///
/// Lexical resolution alone is not enough when `..` follows another
/// component: with `a -> .`, the target `a/../x` resolves lexically to `x`
/// but really to the member root's parent. Targets whose `..` components
/// all come first are safe as written (each real step up starts from a real
/// directory inside the member); any other target is rewritten to its
/// lexical form, which is then of that safe shape.
enum SymlinkTarget {
    /// - Parameters:
    ///   - target: the link's target as stored in the archive.
    ///   - location: the link's own path below the member root; empty when
    ///     the link *is* the member root.
    /// - Returns: the target to create.
    static func checked(
        _ target: PathBytes, location: ArraySlice<PathBytes>, entry: String
    ) throws(ArchiveError) -> PathBytes {
        let shownTarget = PathBytesSyntax.display(target)
        func refuse(_ why: String) -> ArchiveError {
            ArchiveError(
                .unsafeEntry,
                "refusing symlink \(entry) -> \(shownTarget): \(why); the archive is corrupt or hostile and was not used")
        }
        guard !target.isEmpty else { throw refuse("the target is empty") }
        guard !target.contains(0) else { throw refuse("the target contains a NUL byte") }
        guard target.first != PathBytesSyntax.slash else { throw refuse("it points outside the cache path (absolute target)") }

        let parts = PathBytesSyntax.split(target).filter { !$0.isEmpty && $0 != PathBytesSyntax.dot }

        if location.isEmpty {
            // The member root itself is a link; its directory is the
            // destination's parent, which is not ours. Allow only targets
            // below that parent, so nothing points up and out.
            if parts.contains(PathBytesSyntax.dotDot) {
                throw refuse("it points outside the cache path (a member root link may not use '..')")
            }
            return target
        }

        let directory = Array(location.dropLast())
        var resolved = directory
        var seenName = false
        var needsRewrite = false
        for part in parts {
            if part == PathBytesSyntax.dotDot {
                if seenName { needsRewrite = true }
                guard !resolved.isEmpty else { throw refuse("it points outside the cache path") }
                resolved.removeLast()
            } else {
                seenName = true
                resolved.append(part)
            }
        }
        guard needsRewrite else { return target }

        // Shortest relative path from the link's directory to `resolved`.
        var common = 0
        while common < directory.count, common < resolved.count, directory[common] == resolved[common] {
            common += 1
        }
        let ups = Array(repeating: PathBytesSyntax.dotDot, count: directory.count - common)
        let rewritten = PathBytesSyntax.join(ups + resolved[common...])
        return rewritten.isEmpty ? PathBytesSyntax.dot : rewritten
    }
}
