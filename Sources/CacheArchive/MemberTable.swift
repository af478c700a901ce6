/// Maps archive entries to the destinations of the members being restored.
struct MemberTable {
    struct Member {
        let name: String
        let components: [PathBytes]
        /// Absolute path (its parent fully resolved) where the member's root goes.
        let destination: PathBytes
    }

    let members: [Member]

    /// The member an entry belongs to and the entry's path below the member root.
    func match(_ components: [PathBytes]) -> (member: Member, rest: ArraySlice<PathBytes>)? {
        // Member names never nest (checked up front), so at most one matches.
        for member in members where components.starts(with: member.components) {
            return (member, components.dropFirst(member.components.count))
        }
        return nil
    }

    /// A stable name for an entry that matches no member, so that thousands
    /// of entries of one unexpected member collapse into one warning: the
    /// shortest leading part of the entry that no requested member shares.
    func unknownMemberName(for components: [PathBytes]) -> String {
        for length in 1...max(1, components.count) {
            let prefix = Array(components.prefix(length))
            if !members.contains(where: { $0.components.starts(with: prefix) }) {
                return PathBytesSyntax.display(PathBytesSyntax.join(prefix))
            }
        }
        let whole = components.isEmpty ? PathBytesSyntax.dot : PathBytesSyntax.join(components)
        return PathBytesSyntax.display(whole)
    }

    /// The on-disk path for an entry at `rest` below `member`'s root.
    static func destinationPath(of member: Member, rest: ArraySlice<PathBytes>) -> PathBytes {
        rest.isEmpty ? member.destination : member.destination + [PathBytesSyntax.slash] + PathBytesSyntax.join(rest)
    }
}
