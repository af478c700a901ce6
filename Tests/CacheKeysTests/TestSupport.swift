import Foundation
import Testing
@testable import CacheKeys

/// A real directory under the system temp dir, removed when the value goes away.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = (NSTemporaryDirectory() as NSString).appendingPathComponent("CacheKeysTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    func url(_ relative: String) -> String {
        (path as NSString).appendingPathComponent(relative)
    }

    @discardableResult
    func write(_ relative: String, _ contents: String) throws -> String {
        try write(relative, data: Data(contents.utf8))
    }

    @discardableResult
    func write(_ relative: String, data: Data) throws -> String {
        let file = url(relative)
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: file))
        return file
    }

    func makeDirectory(_ relative: String) throws {
        try FileManager.default.createDirectory(atPath: url(relative), withIntermediateDirectories: true)
    }

    /// Creates `relative` as a symlink whose target is `destination`, written as given.
    func symlink(_ relative: String, to destination: String) throws {
        try FileManager.default.createSymbolicLink(atPath: url(relative), withDestinationPath: destination)
    }
}

/// Runs `sha256sum` on the given bytes: an implementation independent of the one under test.
func sha256sum(_ data: Data) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["sha256sum"]
    let input = Pipe(), output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try process.run()
    input.fileHandleForWriting.write(data)
    try input.fileHandleForWriting.close()
    let result = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: result, as: UTF8.self)
    return String(text.prefix(while: { $0 != " " }))
}

func sha256sum(_ text: String) throws -> String {
    try sha256sum(Data(text.utf8))
}

func context(in directory: String = "/nonexistent", environment: [String: String] = [:],
             os: String = "linux", arch: String = "amd64", id: String = "deps",
             now: Date = Date(timeIntervalSince1970: 1_700_000_000)) -> KeyContext {
    KeyContext(cacheID: id, checkoutDirectory: directory, environment: environment,
               agentOS: os, agentArch: arch, now: now)
}

func render(_ template: String, _ context: KeyContext = context()) throws -> String {
    try KeyTemplate(template).render(in: context)
}

/// The error a template fails with at parse time; fails the test if it parses.
func parseError(_ template: String, sourceLocation: SourceLocation = #_sourceLocation) -> KeyTemplateError? {
    do {
        _ = try KeyTemplate(template)
        Issue.record("expected '\(template)' to be rejected", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}
