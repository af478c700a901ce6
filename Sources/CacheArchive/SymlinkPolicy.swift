/// Which symlinks a restore creates.
///
/// A symlink is data: creating one writes nothing outside the staging tree,
/// whatever it points at, and extraction never writes *through* one (links
/// are created after every other entry, and no entry may lie below one). So
/// by default a link is restored exactly as it was saved, which is what a
/// Python virtualenv (`bin/python3 -> /usr/bin/python3`) or a JavaScript
/// workspace (`node_modules/@scope/pkg -> ../../packages/pkg`) needs, and
/// what tar, the agent and actions/cache do.
///
/// `inside` is the strict opt-in for teams that want restored trees to be
/// closed: every target must resolve inside its cache path, and a save of a
/// tree with any other link fails, so save and restore still agree.
public enum SymlinkPolicy: String, Sendable, Hashable, CaseIterable {
    /// Restore every symlink as saved, absolute or relative, inside or outside the cache path.
    case anywhere
    /// Only links whose target stays inside the cache path (the rule before `anywhere`).
    case inside
}
