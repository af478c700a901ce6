#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The string members of any JSON object, whatever else it holds: for the loose reads that must
/// tell "a JSON object" from "not JSON" without knowing the document's shape (another plugin
/// version's entry, a proxy's HTML page).
///
/// A `Decodable` rather than `JSONSerialization`, which lives in full Foundation: the Linux
/// release binary links only FoundationEssentials, to leave ICU out.
struct JSONObjectStrings: Decodable {
    let strings: [String: String]

    /// nil when `data` is not one JSON object.
    static func decode(_ data: Data) -> JSONObjectStrings? {
        try? JSONDecoder().decode(JSONObjectStrings.self, from: data)
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        var strings: [String: String] = [:]
        for key in container.allKeys {
            if let value = try? container.decode(String.self, forKey: key) { strings[key.stringValue] = value }
        }
        self.strings = strings
    }

    private struct AnyKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
