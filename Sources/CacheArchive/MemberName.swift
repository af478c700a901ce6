/// Rules for member names, shared by the writer (names it stores) and the
/// extractor (names it is asked to restore), so both sides agree on what a
/// member is.
enum MemberName {
    /// Checks one name and returns its components.
    static func components(of name: String, role: String) throws(ArchiveError) -> [PathBytes] {
        let bytes = PathBytes(name.utf8)
        let hint = "use a relative, '/'-separated name such as 'checkout/node_modules'"
        guard !bytes.isEmpty else {
            throw ArchiveError(.invalidRequest, "\(role) has an empty member name; \(hint)")
        }
        guard !bytes.contains(0) else {
            throw ArchiveError(.invalidRequest, "member name \(name.debugDescription) of \(role) contains a NUL byte; \(hint)")
        }
        guard bytes.first != PathBytesSyntax.slash else {
            throw ArchiveError(.invalidRequest, "member name '\(name)' of \(role) is absolute; \(hint)")
        }
        let parts = PathBytesSyntax.split(bytes)
        for part in parts where part.isEmpty || part == PathBytesSyntax.dot || part == PathBytesSyntax.dotDot {
            throw ArchiveError(
                .invalidRequest,
                "member name '\(name)' of \(role) has an empty, '.' or '..' component; \(hint)")
        }
        return parts
    }

    /// Checks a set of names: each valid, none repeated, none inside another
    /// (an archive entry must belong to exactly one member).
    static func validateSet(_ names: [String], role: String) throws(ArchiveError) -> [[PathBytes]] {
        var all: [[PathBytes]] = []
        for name in names {
            all.append(try components(of: name, role: role))
        }
        for (i, a) in all.enumerated() {
            for (j, b) in all.enumerated() where i < j {
                let shorter = a.count <= b.count ? a : b
                let longer = a.count <= b.count ? b : a
                if longer.starts(with: shorter) {
                    let relation = a == b ? "is given twice" : "contains the other"
                    throw ArchiveError(
                        .invalidRequest,
                        "member names '\(names[i])' and '\(names[j])' of \(role) overlap (one \(relation)); give every cache path its own distinct top-level name")
                }
            }
        }
        return all
    }
}
