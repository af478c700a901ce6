#if !FUZZING
import Foundation

/// Replays every file of the corpus directories (or single files) named on the command line
/// through a fuzz property and exits non-zero if any input violates it.
///
/// Each input's path is written to stderr before it runs, so if the code under test crashes
/// outright the last line names the input to look at. Shared by every fuzz target.
public enum CorpusReplay {
    public static func run(tool: String, check: ([UInt8]) -> String?) {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard !arguments.isEmpty, !arguments.contains(where: { $0 == "-h" || $0 == "--help" }) else {
            fail("usage: \(tool) CORPUS_DIR_OR_FILE...\nReplays each input through the fuzz property; exits 1 if any violates it.", status: 2)
        }
        var failures = 0
        var count = 0
        for path in inputs(in: arguments, tool: tool) {
            guard let data = FileManager.default.contents(atPath: path) else {
                fail("\(tool): cannot read '\(path)'; check that it exists and is readable", status: 2)
            }
            writeError("replay \(path)\n")
            count += 1
            if let violation = check(Array(data)) {
                failures += 1
                writeError("FAIL \(path): \(violation)\n")
            }
        }
        writeError("\(tool): \(count) inputs replayed, \(failures) failed\n")
        exit(failures == 0 ? 0 : 1)
    }

    /// Files named directly, and the regular files directly inside named directories, sorted so
    /// that runs are comparable.
    private static func inputs(in arguments: [String], tool: String) -> [String] {
        var paths: [String] = []
        for argument in arguments {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else {
                fail("\(tool): '\(argument)' does not exist; pass a corpus directory such as Fuzz/corpus/...", status: 2)
            }
            guard isDirectory.boolValue else {
                paths.append(argument)
                continue
            }
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: argument)
            } catch {
                fail("\(tool): cannot list '\(argument)': \(error.localizedDescription)", status: 2)
            }
            for name in names.sorted() {
                let path = (argument as NSString).appendingPathComponent(name)
                var childIsDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: path, isDirectory: &childIsDirectory), !childIsDirectory.boolValue {
                    paths.append(path)
                }
            }
        }
        return paths
    }

    private static func writeError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    private static func fail(_ message: String, status: Int32) -> Never {
        writeError(message + "\n")
        exit(status)
    }
}
#endif
