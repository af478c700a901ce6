import CacheEncoding
import Crypto

/// The value of `{{ checksum ... }}`: a fingerprint of the files a cache depends on.
///
/// - One literal path (no glob metacharacters) naming a regular file: the SHA-256 of that file's
///   bytes, lowercase hex, so it equals `sha256sum FILE` and the current Buildkite agent's
///   `checksum` key part. (An earlier agent release hashed the hex digest once more; keys made by
///   it never match ours, which only costs one cold cache.)
/// - Anything else (globs, several arguments, or a literal path naming a directory, which stands
///   for every file below it): every regular file matched by any pattern, deduplicated, each as
///   the line `path\0sha256hex(file)\n` with `path` relative to the checkout (forward slashes;
///   absolute when an absolute pattern reaches outside it), lines sorted bytewise, and the SHA-256
///   of their concatenation. Hashing the path as well as the content means renaming or moving a
///   lock file changes the key; sorting makes the value independent of directory order.
///
/// A symlink to a regular file counts as the file it points to (under the link's own path);
/// symlinked directories are never entered (so link cycles cannot hang the walk) and `.git` is
/// never searched. A pattern that matches nothing is an error rather than an empty string: a key
/// that silently lost its checksum would match caches built from different dependencies.
public enum FileChecksum {
    public static func checksum(of patterns: [String], in root: String) throws(FileChecksumError) -> String {
        guard !patterns.isEmpty else {
            throw FileChecksumError("checksum: no pattern given; name at least one file, e.g. checksum \"package-lock.json\"")
        }
        let root = normalizedRoot(root)
        var globs: [GlobPattern] = []
        for pattern in patterns {
            do {
                globs.append(try GlobPattern(pattern))
            } catch {
                throw FileChecksumError("checksum: \(error)")
            }
        }

        if globs.count == 1, let literal = globs[0].literalPath {
            let path = literal.hasPrefix("/") ? literal : (literal.isEmpty ? root : root + "/" + literal)
            switch POSIX.kindFollowing(path) {
            case .regular:
                return try sha256Hex(ofFileAt: path)
            case .directory:
                break // every file below it, by the multi-file rule
            case .missing:
                throw noMatch(patterns[0], root: root)
            default:
                throw FileChecksumError("checksum: '\(patterns[0])' (relative to \(root)) is not a regular file or directory; name the file whose content the cache depends on")
            }
        }

        var files: [String: String] = [:] // reported path -> path to open
        for (pattern, glob) in zip(patterns, globs) {
            var matched = false
            for alternative in glob.alternatives {
                for file in try GlobWalker.files(matching: alternative, root: root) {
                    matched = true
                    files[relative(file.reported, to: root)] = file.absolute
                }
            }
            if !matched { throw noMatch(pattern, root: root) }
        }

        var hasher = SHA256()
        let ordered = files.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for path in ordered {
            let line = path + "\0" + (try sha256Hex(ofFileAt: files[path]!)) + "\n"
            hasher.update(data: Array(line.utf8))
        }
        return hasher.finalize().hexString
    }

    /// Streams the file through SHA-256; memory use does not grow with the file.
    public static func sha256Hex(ofFileAt path: String) throws(FileChecksumError) -> String {
        var hasher = SHA256()
        if let error = POSIX.readChunks(of: path, { hasher.update(bufferPointer: $0) }) {
            throw FileChecksumError("checksum: cannot read '\(path)': \(error.text)")
        }
        return hasher.finalize().hexString
    }

    private static func noMatch(_ pattern: String, root: String) -> FileChecksumError {
        FileChecksumError("checksum: no file matches '\(pattern)' (relative to \(root))")
    }

    private static func normalizedRoot(_ root: String) -> String {
        var root = root.isEmpty ? "." : root
        while root.count > 1, root.hasSuffix("/") { root.removeLast() }
        return root
    }

    /// Absolute patterns that land inside the checkout report checkout-relative paths, so that
    /// `/work/app/a.lock` and `a.lock` are one file and the value does not depend on where the
    /// agent put the checkout.
    private static func relative(_ path: String, to root: String) -> String {
        guard path.hasPrefix("/"), root.hasPrefix("/") else { return path }
        if root == "/" { return String(path.dropFirst()) }
        let prefix = root + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }
}
