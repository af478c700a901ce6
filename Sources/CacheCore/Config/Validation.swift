import CacheArchive
import CacheKeys
import CacheYAML

/// Checks shared by every definition format, so both formats fail the same way on the same mistake.
enum Validation {
    /// The agent's rule for ids, kept so that ids also work as parts of environment variable names.
    /// Ids name environment variables and are part of staging directory names, which must fit in
    /// a file name (255 bytes) beside the target's own name.
    static let maximumIdentifierLength = 64

    static func checkIdentifier(_ id: String, source: String, node: YAMLNode) throws(ConfigurationError) {
        if id.utf8.count > maximumIdentifierLength {
            throw ConfigurationError(source: source, mark: node.mark,
                message: "cache id '\(id.prefix(20))…' is \(id.utf8.count) characters long; keep ids to \(maximumIdentifierLength) or fewer")
        }
        let valid = !id.isEmpty && id.unicodeScalars.allSatisfy { scalar in
            scalar == "_" || (scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)))
        }
        if !valid {
            throw ConfigurationError(source: source, mark: node.mark,
                message: "cache id '\(id)' may only contain letters, digits and _ (it names environment variables)")
        }
    }

    static func template(_ text: String, what: String, cache: String, source: String, node: YAMLNode) throws(ConfigurationError) -> KeyTemplate {
        if text.trimmingWhitespace.isEmpty {
            throw ConfigurationError(source: source, mark: node.mark, message: "cache '\(cache)': the \(what) must not be empty")
        }
        do {
            return try KeyTemplate(text)
        } catch {
            throw ConfigurationError(source: source, mark: node.mark, message: "cache '\(cache)': bad \(what): \(error)")
        }
    }

    /// No blank or repeated paths, and none that names a whole home, working or root directory:
    /// restoring replaces a path wholesale, so such a path would replace the checkout or the home.
    static func paths(_ items: [(String, YAMLNode)], cache: String, source: String) throws(ConfigurationError) -> [String] {
        var seen: [String: YAMLNode] = [:]
        var result: [String] = []
        for (raw, node) in items {
            let path = raw.trimmingWhitespace
            if path.isEmpty {
                throw ConfigurationError(source: source, mark: node.mark, message: "cache '\(cache)': a path must not be blank")
            }
            if path.contains("\0") {
                throw ConfigurationError(source: source, mark: node.mark, message: "cache '\(cache)': a path must not contain NUL")
            }
            let normal = CachePath.normalizedForComparison(path)
            if CachePath.isProtected(normal) {
                throw ConfigurationError(source: source, mark: node.mark,
                    message: "cache '\(cache)': path '\(raw)' names a whole home, working or root directory; cache a folder inside it instead")
            }
            if let first = seen[normal] {
                throw ConfigurationError(source: source, mark: node.mark,
                    message: "cache '\(cache)': path '\(raw)' is listed twice (first at line \(first.mark.line))")
            }
            for (other, otherNode) in seen where PathOverlap.overlaps(normal, other) {
                throw ConfigurationError(source: source, mark: node.mark,
                    message: "cache '\(cache)': path '\(raw)' overlaps '\(otherNode.string ?? other)' (line \(otherNode.mark.line)); "
                        + "one would be archived inside the other and restoring would replace one with the other: "
                        + "keep only the outer path, or split them into caches that do not overlap")
            }
            seen[normal] = node
            result.append(path)
        }
        return result
    }

    /// `symlinks: anywhere | inside`, where the cache or the plugin sets it.
    static func symlinks(_ reader: inout MappingReader) throws(ConfigurationError) -> SymlinkPolicy? {
        try reader.choice("symlinks", from: SymlinkPolicy.allCases.map(\.rawValue)).flatMap(SymlinkPolicy.init(rawValue:))
    }
}
