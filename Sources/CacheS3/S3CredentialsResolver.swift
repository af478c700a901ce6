import Foundation

/// Finds credentials the way the AWS CLI and SDKs do, for the sources that need no network:
///
/// 1. `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` (with `AWS_SESSION_TOKEN`) in the environment;
/// 2. the profile `AWS_PROFILE` (else `default`) of the shared credentials file,
///    `AWS_SHARED_CREDENTIALS_FILE` (else `~/.aws/credentials`).
///
/// Instance roles (IMDS) and ECS task roles are not read here: on such hosts, export the role's
/// credentials into the agent's environment (see the error message and the README).
public enum S3CredentialsResolver {
    public static func resolve(environment: [String: String], home: String) throws(S3CredentialsError) -> S3Credentials {
        func value(_ name: String) -> String? {
            guard let value = environment[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
            return value
        }
        let keyID = value("AWS_ACCESS_KEY_ID")
        let secret = value("AWS_SECRET_ACCESS_KEY")
        switch (keyID, secret) {
        case let (keyID?, secret?):
            return S3Credentials(accessKeyID: keyID, secretAccessKey: secret, sessionToken: value("AWS_SESSION_TOKEN"),
                                 source: "the environment (AWS_ACCESS_KEY_ID)")
        case (nil, _?):
            throw S3CredentialsError(message: "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not; set both in the agent's environment")
        case (_?, nil):
            throw S3CredentialsError(message: "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not; set both in the agent's environment")
        case (nil, nil):
            break
        }

        let explicitProfile = value("AWS_PROFILE")
        let profile = explicitProfile ?? "default"
        let path = value("AWS_SHARED_CREDENTIALS_FILE").map { $0.hasPrefix("~/") ? home + $0.dropFirst() : $0 }
            ?? home + "/.aws/credentials"
        if let text = FileManager.default.contents(atPath: path).map({ String(decoding: $0, as: UTF8.self) }) {
            let sections = SharedCredentialsFile.parse(text)
            if let section = sections[profile] {
                guard let keyID = section["aws_access_key_id"], let secret = section["aws_secret_access_key"] else {
                    throw S3CredentialsError(message: "the profile [\(profile)] in \(path) needs both aws_access_key_id "
                        + "and aws_secret_access_key (role_arn, sso_* and credential_process profiles are not supported)")
                }
                return S3Credentials(accessKeyID: keyID, secretAccessKey: secret, sessionToken: section["aws_session_token"],
                                     source: "profile \(profile) in \(path)")
            }
            if explicitProfile != nil {
                throw S3CredentialsError(message: "AWS_PROFILE is \(profile), but \(path) has no [\(profile)] section "
                    + "(it has: \(sections.keys.sorted().joined(separator: ", ")))")
            }
        } else if explicitProfile != nil || environment["AWS_SHARED_CREDENTIALS_FILE"] != nil {
            throw S3CredentialsError(message: "AWS_PROFILE/AWS_SHARED_CREDENTIALS_FILE point at \(path), which cannot be read")
        }
        throw S3CredentialsError(message: """
            no AWS credentials found for the S3 store. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY \
            (and AWS_SESSION_TOKEN for temporary credentials) in the agent's environment, or add a [default] \
            profile to \(path) (AWS_PROFILE picks another profile, AWS_SHARED_CREDENTIALS_FILE another file). \
            Instance roles and ECS task roles are not read directly: on EC2, export them in an agent environment \
            hook with `eval "$(aws configure export-credentials --format env)"`.
            """)
    }
}

/// Credentials that could not be found or read; the message says what to set.
public struct S3CredentialsError: Error, Sendable, CustomStringConvertible, LocalizedError {
    public let message: String
    public var description: String { message }
    public var errorDescription: String? { message }
}

/// The INI dialect of `~/.aws/credentials`: `[profile]` sections of `name = value` lines, `#` and
/// `;` comments. Names are case-insensitive as in the AWS CLI.
enum SharedCredentialsFile {
    static func parse(_ text: String) -> [String: [String: String]] {
        var sections: [String: [String: String]] = [:]
        var current: String?
        for rawLine in text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                let name = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                current = name
                if sections[name] == nil { sections[name] = [:] }
                continue
            }
            guard let section = current, let equals = line.firstIndex(of: "=") else { continue }
            let name = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            sections[section]?[name] = value
        }
        return sections
    }
}
