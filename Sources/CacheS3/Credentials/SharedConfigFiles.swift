#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EssentialsCompat

/// The AWS CLI's two INI files, merged per profile: `~/.aws/config` (`AWS_CONFIG_FILE`; sections
/// `[default]` and `[profile NAME]`) and `~/.aws/credentials` (`AWS_SHARED_CREDENTIALS_FILE`;
/// sections `[NAME]`), where the credentials file wins for a setting in both. A file that does not
/// exist is skipped, as the SDKs skip it.
struct SharedConfigFiles {
    let configPath: String
    let credentialsPath: String
    /// Profile name → setting name (lowercased) → value.
    let profiles: [String: [String: String]]
    /// Where each profile was found, for messages.
    let origins: [String: String]

    init(environment: [String: String], home: String) {
        func path(_ variable: String, _ fallback: String) -> String {
            let configured = environment[variable].flatMap { $0.isEmpty ? nil : $0 } ?? fallback
            return configured.hasPrefix("~/") ? home + configured.dropFirst() : configured
        }
        let configPath = path("AWS_CONFIG_FILE", home + "/.aws/config")
        let credentialsPath = path("AWS_SHARED_CREDENTIALS_FILE", home + "/.aws/credentials")
        var profiles: [String: [String: String]] = [:]
        var origins: [String: String] = [:]
        for (section, settings) in Self.read(configPath) {
            let name: String
            if section == "default" {
                name = "default"
            } else if section.hasPrefix("profile ") {
                name = section.dropFirst("profile ".count).trimming(.whitespaces)
            } else {
                continue  // [sso-session …], [services …]
            }
            profiles[name, default: [:]].merge(settings) { _, new in new }
            origins[name] = configPath
        }
        for (name, settings) in Self.read(credentialsPath) {
            profiles[name, default: [:]].merge(settings) { _, new in new }
            origins[name] = origins[name].map { "\($0) and \(credentialsPath)" } ?? credentialsPath
        }
        self.configPath = configPath
        self.credentialsPath = credentialsPath
        self.profiles = profiles
        self.origins = origins
    }

    var paths: String { "\(configPath) and \(credentialsPath)" }

    static func read(_ path: String) -> [(String, [String: String])] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return parse(String(decoding: data, as: UTF8.self))
    }

    /// `[section]` headers and `name = value` lines; `#` and `;` start comment lines. Names are
    /// case-insensitive as in the AWS CLI; indented lines (nested `s3 =` settings) are skipped.
    static func parse(_ text: String) -> [(String, [String: String])] {
        var sections: [(String, [String: String])] = []
        for rawLine in text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline) {
            if rawLine.first == " " || rawLine.first == "\t" { continue }
            let line = rawLine.trimming(.whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                sections.append((line.dropFirst().dropLast().trimming(.whitespaces), [:]))
                continue
            }
            guard !sections.isEmpty, let equals = line.firstIndex(of: "=") else { continue }
            let name = line[..<equals].trimming(.whitespaces).lowercased()
            let value = line[line.index(after: equals)...].trimming(.whitespaces)
            sections[sections.count - 1].1[name] = value
        }
        return sections
    }
}
