/// A regular file found by a pattern: the path it is reported under (relative to the checkout
/// when the pattern is relative) and the path to open.
struct MatchedFile: Sendable {
    var reported: String
    var absolute: String
}

/// Finds the regular files one brace-free pattern alternative matches, reading as little of the
/// tree as the pattern allows:
///
/// - the literal leading components (`packages/app/*.json`) are joined onto the root, not listed;
/// - a directory is listed only if some remaining component (or a `**`) could still match below it,
///   and a component that is literal at that point is looked up directly instead of listed;
/// - symlinked directories are never entered, which is what makes link cycles harmless; a symlink
///   to a regular file counts as that file (its content is what a build would read);
/// - entries named `.git` are never matched or entered: a repository's object store churns on
///   every fetch and would make the key change when no dependency did.
struct GlobWalker {
    private let segments: [GlobSegment]
    private var found: [MatchedFile] = []

    static func files(matching path: GlobPath, root: String) throws(FileChecksumError) -> [MatchedFile] {
        let prefix = path.literalPrefix
        let base = prefix.reduce(path.isAbsolute ? "/" : root, Self.join)
        let reported = (path.isAbsolute ? "/" : "") + prefix.joined(separator: "/")
        var rest = Array(path.segments.dropFirst(prefix.count))
        switch POSIX.kindFollowing(base) {
        case .regular where rest.isEmpty:
            return [MatchedFile(reported: reported, absolute: base)]
        case .directory:
            // A literal path naming a directory stands for every file below it, as the nienbo
            // plugin's `{{ checksum './app/javascript' }}` does.
            if rest.isEmpty { rest = [.globstar] }
            var walker = GlobWalker(segments: rest)
            try walker.walk(base, reported: reported, state: walker.closure([0]))
            return walker.found
        default:
            return []
        }
    }

    private init(segments: [GlobSegment]) {
        self.segments = segments
    }

    private static func join(_ directory: String, _ name: String) -> String {
        if directory.isEmpty { return name }
        return directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// `state` holds the indices of the segments that the next component may match.
    private mutating func walk(_ directory: String, reported: String, state: [Int]) throws(FileChecksumError) {
        if let names = literalNames(state) {
            for name in Set(names) where name != ".git" {
                let child = Self.join(directory, name)
                try consider(name, kind: POSIX.kindWithoutFollowing(child), in: directory, reported: reported, state: state)
            }
            return
        }
        switch POSIX.entries(of: directory) {
        case .failure(let error):
            // Gone between listing and descending: nothing to match. Anything else (permissions)
            // would silently change the key, so it is an error.
            if error.isNotFound { return }
            throw FileChecksumError("checksum: cannot list directory '\(directory)': \(error.text); make it readable or narrow the pattern so it is not searched")
        case .success(let entries):
            for entry in entries where entry.name != ".git" {
                let kind = entry.kind ?? POSIX.kindWithoutFollowing(Self.join(directory, entry.name))
                try consider(entry.name, kind: kind, in: directory, reported: reported, state: state)
            }
        }
    }

    private mutating func consider(_ name: String, kind: POSIX.FileKind, in directory: String,
                                   reported: String, state: [Int]) throws(FileChecksumError) {
        let next = advance(state, over: name)
        if next.isEmpty { return }
        let child = Self.join(directory, name)
        let childReported = reported.isEmpty ? name : Self.join(reported, name)
        let complete = next.contains(segments.count)
        switch kind {
        case .directory:
            if next.contains(where: { $0 < segments.count }) {
                try walk(child, reported: childReported, state: next)
            }
        case .regular where complete:
            found.append(MatchedFile(reported: childReported, absolute: child))
        case .symlink where complete && POSIX.kindFollowing(child) == .regular:
            found.append(MatchedFile(reported: childReported, absolute: child))
        default:
            break
        }
    }

    /// If every live segment is a plain name, those names (so they can be looked up, not listed).
    private func literalNames(_ state: [Int]) -> [String]? {
        var names: [String] = []
        for index in state {
            guard index < segments.count, case .literal(let name) = segments[index] else { return nil }
            names.append(name)
        }
        return names
    }

    /// Adds the positions reachable by letting a `**` match nothing.
    private func closure(_ state: [Int]) -> [Int] {
        var result = Set<Int>()
        for start in state {
            var index = start
            result.insert(index)
            while index < segments.count, case .globstar = segments[index] {
                index += 1
                result.insert(index)
            }
        }
        return result.sorted()
    }

    /// The positions after one more component named `name`.
    private func advance(_ state: [Int], over name: String) -> [Int] {
        let scalars = Array(name.unicodeScalars)
        var next: [Int] = []
        for index in state where index < segments.count {
            switch segments[index] {
            case .globstar:
                next.append(index)
            case let segment where segment.matches(scalars):
                next.append(index + 1)
            default:
                break
            }
        }
        return next.isEmpty ? [] : closure(next)
    }
}
