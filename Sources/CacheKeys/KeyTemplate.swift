#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EssentialsCompat

/// A cache key template such as `{{ id }}-{{ agent.os }}-{{ checksum "package-lock.json" }}`.
///
/// Parsing happens in `init`, so a misspelt name or an unclosed `{{` is reported (with its column)
/// when the configuration is loaded, before any archive is built or any store is called.
/// Rendering reads only the `KeyContext` it is given. Values are inserted as they are, with no
/// HTML escaping (the Buildkite agent uses Go's `html/template`, which would turn `&` into
/// `&amp;`; a key is not HTML). As in the agent, leading and trailing whitespace of the rendered
/// key is removed. A key that renders empty is an error: it would match every entry.
///
/// See `KeyFunctions` for the names a template may use, `FileChecksum` for `checksum`.
public struct KeyTemplate: Sendable, CustomStringConvertible {
    public let text: String
    private let parts: [KeyTemplatePart]

    public init(_ text: String) throws(KeyTemplateError) {
        var parser = KeyTemplateParser(text)
        self.parts = try parser.parse()
        self.text = text
    }

    public func render(in context: KeyContext) throws(KeyTemplateError) -> String {
        var key = ""
        for part in parts {
            switch part {
            case .text(let text):
                key += text
            case .action(let expression, let column):
                key += try expression.render(in: context, template: text, column: column)
            }
        }
        key = key.trimming(.whitespacesAndNewlines)
        if key.isEmpty {
            throw KeyTemplateError(
                message: "the key renders to an empty string, which would match every cache entry; add fixed text such as '{{ id }}-'",
                template: text, column: 1)
        }
        return key
    }

    /// The template text before its first `checksum`: the part of the key that stays the same when
    /// only the checksummed files change, and so the natural fallback prefix for it. nil when the
    /// template has no checksum or nothing before it.
    public var textBeforeFirstChecksum: String? {
        for part in parts {
            guard case .action(.checksum, let column) = part else { continue }
            let prefix = String(text.prefix(column - 1))
            return prefix.trimming(.whitespacesAndNewlines).isEmpty ? nil : prefix
        }
        return nil
    }

    public var description: String { text }
}
