/// Trimming a string by a few fixed sets of scalars, without `CharacterSet`.
///
/// The Linux release binary links FoundationEssentials instead of full Foundation, which keeps ICU
/// (about 13 MB of the download) out of it; Essentials has no `CharacterSet`, and a call to
/// Foundation's `trimmingCharacters(in:)` (visible through dependencies that import Foundation)
/// would link all of it back in. The sets match Foundation's of the same names.
public struct TrimmedScalars: ExpressibleByArrayLiteral, Sendable {
    let contains: @Sendable (Unicode.Scalar) -> Bool

    /// Spaces and tab: `CharacterSet.whitespaces` (general category Zs, plus U+0009).
    public static let whitespaces = TrimmedScalars { $0 == "\t" || $0.properties.generalCategory == .spaceSeparator }
    /// Spaces, tab and line ends: `CharacterSet.whitespacesAndNewlines` (Unicode White_Space).
    public static let whitespacesAndNewlines = TrimmedScalars { $0.properties.isWhitespace }

    init(_ contains: @escaping @Sendable (Unicode.Scalar) -> Bool) {
        self.contains = contains
    }

    public init(arrayLiteral scalars: Unicode.Scalar...) {
        let set = Set(scalars)
        contains = { set.contains($0) }
    }
}

extension StringProtocol {
    /// The string without the leading and trailing scalars in `set`.
    public func trimming(_ set: TrimmedScalars) -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !set.contains($0) }),
              let last = scalars.lastIndex(where: { !set.contains($0) }) else { return "" }
        return String(String.UnicodeScalarView(scalars[first ... last]))
    }
}
