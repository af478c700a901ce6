/// Decides whether a symlink from an archive may be created, and with which target.
///
/// Under `SymlinkPolicy.anywhere` (the default) every target is created as
/// stored: the extractor guarantees nothing is written through a link, so a
/// link to `/usr/bin/python3` is plain data.
///
/// Under `SymlinkPolicy.inside`, a restored cache may not hold a link that
/// leads out of it (`link -> /etc` would let the build write outside the
/// cache path), so every target is resolved lexically from the link's own
/// directory and must stay inside the member. The save side runs the same
/// check, so a tree it stores is a tree the restore accepts.
///
/// Lexical resolution alone is not enough when `..` follows another
/// component: with `a -> .`, the target `a/../x` resolves lexically to `x`
/// but really to the member root's parent. Targets whose `..` components
/// all come first are safe as written (each real step up starts from a real
/// directory inside the member); any other target is rewritten to its
/// lexical form, which is then of that safe shape.
enum SymlinkTarget {
    /// The target to create for a link at `location` (below its member root), under `policy`.
    static func allowed(
        _ target: PathBytes, location: ArraySlice<PathBytes>, entry: String, policy: SymlinkPolicy
    ) throws(ArchiveError) -> PathBytes {
        switch policy {
        case .inside:
            return try checked(target, location: location, entry: entry)
        case .anywhere:
            guard !target.isEmpty else {
                throw ArchiveError(.unsafeEntry, "refusing symlink \(entry): its target is empty; the archive is corrupt or hostile and was not used")
            }
            return target
        }
    }

    /// The `inside` rule.
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
                .symlinkPolicy,
                "refusing symlink \(entry) -> \(shownTarget): \(why), and the cache sets 'symlinks: inside'")
        }
        guard !target.isEmpty else {
            throw ArchiveError(.unsafeEntry, "refusing symlink \(entry): its target is empty; the archive is corrupt or hostile and was not used")
        }
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
