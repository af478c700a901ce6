import CacheKeys
import Foundation

/// What must hold for any text given to ``KeyTemplate`` and ``GlobPattern``: parsing either
/// succeeds or throws its documented error (with a column inside the text), and a template that
/// parses renders, in a fixed context, either a non-empty key (the same one every time) or a
/// `KeyTemplateError`. Never a crash, a hang or runaway memory. Both the libFuzzer entry point and
/// the corpus replay call `check`, so a reproducer fails the same way in a normal build.
enum KeyTemplateProperty {
    /// Nil when the property holds, otherwise what was violated. The input is read as UTF-8
    /// (invalid sequences become U+FFFD, as they would when a configuration is decoded).
    static func check(_ bytes: [UInt8]) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        return checkTemplate(text) ?? checkGlob(text)
    }

    private static func checkTemplate(_ text: String) -> String? {
        let template: KeyTemplate
        do {
            template = try KeyTemplate(text)
        } catch {
            return checkError(error, of: text, during: "parsing")
        }
        guard !FilesystemGate.mayReadOutsideCheckout(text) else { return nil }
        let context = FuzzCheckout.context
        let first: String
        do {
            first = try template.render(in: context)
        } catch {
            return checkError(error, of: text, during: "rendering")
        }
        if first.isEmpty {
            return "render returned an empty key instead of throwing"
        }
        // "The same context always renders the same key": nothing may read the clock or the
        // process environment behind the context's back.
        switch Result(catching: { () throws(KeyTemplateError) in try template.render(in: context) }) {
        case .success(let second) where second != first:
            return "rendering twice in the same context gave '\(first)' and then '\(second)'"
        case .failure(let error):
            return "rendering twice in the same context first gave '\(first)', then threw: \(error)"
        case .success:
            return nil
        }
    }

    /// Columns are 1-based and count characters; a column past the end (plus one, for "never
    /// closed") would send the user to the wrong place. Scalars bound characters from above, so
    /// this bound holds under either way of counting.
    private static func checkError(_ error: KeyTemplateError, of text: String, during step: String) -> String? {
        if error.template != text {
            return "\(step): the KeyTemplateError names template '\(error.template)', not the one given"
        }
        if error.column < 1 || error.column > text.unicodeScalars.count + 1 {
            return "\(step): the KeyTemplateError column \(error.column) is outside the template: \(error)"
        }
        if error.message.isEmpty {
            return "\(step): the KeyTemplateError has an empty message"
        }
        return nil
    }

    /// The same text as a `checksum` pattern, and matched against a few paths (matching is pure).
    private static func checkGlob(_ text: String) -> String? {
        let pattern: GlobPattern
        do {
            pattern = try GlobPattern(text)
        } catch {
            if error.column < 1 || error.column > text.unicodeScalars.count + 1 {
                return "the GlobPatternError column \(error.column) is outside the pattern: \(error)"
            }
            return nil
        }
        for path in ["package-lock.json", "a/b/c.txt", ".yarn/cache/x.zip", "/abs/lock", "./x//y/", "", text] {
            _ = pattern.matches(path)
        }
        // Scalars, not characters: a backslash followed by a combining mark is one `Character`
        // that `contains("\\")` would miss, yet the glob parser still reads it as an escape.
        if pattern.isLiteral, !text.unicodeScalars.contains("\\"), !pattern.matches(text) {
            return "the literal pattern '\(text)' does not match its own text"
        }
        return nil
    }
}
