#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization

/// Writes the job log the way Buildkite renders it: `~~~` opens a collapsed section, `---` an
/// expanded one, `+++` one that holds an error (and the agent scrolls to it). The log is not a
/// terminal, so there are no carriage returns or colours, only whole lines, written at once so that
/// concurrent caches never interleave halves of lines.
public final class BuildkiteLog: Sendable {
    private let redactor: SecretRedactor
    private let sink: @Sendable (String) -> Void

    public init(redactor: SecretRedactor, sink: (@Sendable (String) -> Void)? = nil) {
        self.redactor = redactor
        self.sink = sink ?? { text in
            StandardStream.output.send(text)
        }
    }

    public func collapsedSection(_ title: String) { emit("~~~ " + Self.oneLine(title)) }
    public func section(_ title: String) { emit("--- " + Self.oneLine(title)) }
    public func errorSection(_ title: String) { emit("+++ " + Self.oneLine(title)) }
    public func line(_ text: String) { emit(Self.inert(text)) }

    /// A problem the job survives: one line, marked so it stands out in a long log.
    public func warning(_ text: String) {
        emit("⚠️  " + Self.inert(text))
    }

    /// Text that may hold words from outside (a server's answer, a key, a path) made unable to act
    /// on the log: control characters other than line feed and tab are written as `\u{XX}` (a
    /// carriage return or an escape sequence cannot rewrite a line), and a line that would start a
    /// Buildkite section (`~~~`, `---`, `+++`, `^^^`) is indented by one space. Only the section
    /// methods above open sections.
    static func inert(_ text: String) -> String {
        // Split on the scalar, not the Character: "\r\n" is one Character and would hide the break.
        text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let escaped = String(String.UnicodeScalarView(line)).escapingControlCharacters(keeping: ["\t"])
            return ["~~~", "---", "+++", "^^^"].contains(where: escaped.hasPrefix) ? " " + escaped : escaped
        }.joined(separator: "\n")
    }

    /// A section title is one line: line breaks become spaces, other controls are escaped.
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ").escapingControlCharacters()
    }

    private func emit(_ text: String) {
        let clean = redactor.redact(text)
        sink(clean.hasSuffix("\n") ? clean : clean + "\n")
    }
}
