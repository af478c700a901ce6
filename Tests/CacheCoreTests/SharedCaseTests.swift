import Foundation
import Testing
@testable import CacheCore

/// The binary's side of decisions the hooks also make in bash, against the same tables of cases
/// (Tests/cases; the bash side is Tests/hooks/shared-cases.bats).
@Suite("Cases shared with the hooks")
struct SharedCaseTests {
    /// The cases of `Tests/cases/NAME`: each line split at its first space.
    static func cases(_ name: String) throws -> [(expected: String, input: String)] {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("cases/" + name).path
        return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            .filter { !$0.hasPrefix("#") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            .map { line in
                let parts = line.split(separator: " ", maxSplits: 1)
                return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
            }
    }

    @Test func whetherTheStepNamesThisPlugin() throws {
        let table = try Self.cases("plugin-names.txt")
        #expect(table.count >= 10)
        for (expected, json) in table {
            let environment = JobEnvironment(["BUILDKITE_PLUGINS": json])
            let names: Bool
            do {
                names = try ConfigurationLoader.stepPluginEntry(environment) != nil
            } catch {
                // A bare location has no options: reported, which means it named the plugin.
                names = error.message.contains("has no options")
            }
            #expect(names == (expected == "yes"), "\(json)")
        }
    }

    @Test func whichCacheFileTheRepositoryHas() throws {
        let table = try Self.cases("cache-files.txt")
        #expect(table.count >= 8)
        for (expected, setup) in table {
            let scratch = try Scratch()
            let directory = scratch.path + "/.buildkite"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for item in setup.split(separator: ",") where item != "-" {
                let parts = item.split(separator: ":")
                let path = directory + "/" + parts[0]
                switch parts[1] {
                case "file": try scratch.write(".buildkite/" + parts[0], "caches: []\n")
                case "directory": try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
                case "link":
                    try scratch.write("elsewhere.yml", "caches: []\n")
                    try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: scratch.path + "/elsewhere.yml")
                case "dangling": try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: scratch.path + "/nothing")
                default: Issue.record("unknown kind in '\(setup)'")
                }
            }
            let answer: String
            do {
                answer = try ConfigurationLoader.repositoryCacheFile(checkout: scratch.path).map { ($0 as NSString).lastPathComponent } ?? "none"
            } catch {
                answer = "both"
            }
            #expect(answer == expected, "\(setup)")
        }
    }
}
