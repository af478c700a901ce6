import ArgumentParser

/// One program, two names. A release artifact ships a single executable, `cache-restore`, and
/// `cache-save` as a symlink to it: the program runs the command its name asks for, so the
/// download holds one copy of the statically linked runtime instead of two. The development build
/// still makes two executables, each of which runs its own command under its own name.
public enum MultiCall {
    /// The commands this program can be.
    public enum Command: Sendable {
        case restore
        case save

        /// The command a program name asks for, `nil` for a name that is neither.
        init?(programName: String) {
            switch programName {
            case "cache-restore": self = .restore
            case "cache-save": self = .save
            default: return nil
            }
        }
    }

    /// The command for `argv[0]`: its last path component picks, and any other name falls back
    /// to `fallback`, the command the executable was built as.
    public static func command(invokedAs argument0: String, fallback: Command) -> Command {
        let programName = argument0.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? ""
        return Command(programName: programName) ?? fallback
    }

    /// Runs the command that `CommandLine.arguments[0]` names; exits the process when done.
    public static func main(fallback: Command) async {
        switch command(invokedAs: CommandLine.arguments.first ?? "", fallback: fallback) {
        case .restore: await CacheRestore.main()
        case .save: await CacheSave.main()
        }
    }
}
