/// Every path at which this extraction created a symlink, per member, so that
/// nothing is ever written *through* one.
///
/// This replaces libarchive's `ARCHIVE_EXTRACT_SECURE_SYMLINKS`, which gives
/// the same guarantee by `lstat`ing every component of every path from `/`
/// (with absolute paths: ten or more system calls per entry, twice the time
/// of `tar -x` on a tree of small files). The staging destination is fresh
/// and only this extraction writes into it, so the only symlinks that can
/// lie on an entry's path are the ones this extraction created: remembering
/// them is an exact check that costs no system call.
///
/// Why it matters even though every link target is checked to stay inside
/// the member: targets are checked lexically from the link's own location,
/// which is only its real location if no directory above it is a link.
/// With `a -> .`, the link `a/b/s -> ../../k` is lexically inside but would
/// be created at `b/s` and point beside the member.
struct CreatedSymlinks {
    /// Member name -> paths below the member root (components joined by `/`).
    private var paths: [String: Set<PathBytes>] = [:]

    /// True when a proper prefix of `rest` (a path below `member`'s root) is
    /// a symlink this extraction created: writing at `rest` would go through it.
    /// Returns the offending prefix for the message.
    func linkAbove(_ rest: ArraySlice<PathBytes>, in member: String) -> PathBytes? {
        guard let links = paths[member], !links.isEmpty, rest.count > 1 else { return nil }
        var prefix: PathBytes = []
        for component in rest.dropLast() {
            if !prefix.isEmpty { prefix.append(PathBytesSyntax.slash) }
            prefix += component
            if links.contains(prefix) { return prefix }
        }
        return nil
    }

    /// True when `rest` itself is a symlink this extraction created.
    func isLink(_ rest: ArraySlice<PathBytes>, in member: String) -> Bool {
        guard let links = paths[member], !links.isEmpty else { return false }
        return links.contains(PathBytesSyntax.join(rest))
    }

    /// Records what now occupies `rest`: a symlink, or something else that
    /// replaced whatever was there (then it is no longer a link).
    mutating func record(_ rest: ArraySlice<PathBytes>, in member: String, isSymlink: Bool) {
        if isSymlink {
            paths[member, default: []].insert(PathBytesSyntax.join(rest))
        } else if paths[member]?.isEmpty == false {
            paths[member]?.remove(PathBytesSyntax.join(rest))
        }
    }
}
