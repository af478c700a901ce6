import AsyncHTTPClient
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EssentialsCompat

/// Picks where credentials come from, in the order of the AWS SDKs' default chain:
///
/// 1. the environment: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`);
/// 2. web identity: `AWS_WEB_IDENTITY_TOKEN_FILE` with `AWS_ROLE_ARN` (`AWS_ROLE_SESSION_NAME`),
///    through STS AssumeRoleWithWebIdentity (EKS IAM roles for service accounts);
/// 3. the profile `AWS_PROFILE` (else `default`) of the shared config and credentials files:
///    static keys, `role_arn` with `source_profile` or `credential_source` (STS AssumeRole),
///    `role_arn` with `web_identity_token_file`, or `credential_process`;
/// 4. the container endpoint (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` for ECS,
///    `AWS_CONTAINER_CREDENTIALS_FULL_URI` for EKS Pod Identity);
/// 5. the EC2 instance metadata service (IMDSv2), unless `AWS_EC2_METADATA_DISABLED=true`.
///
/// The first source that is configured is used; one that is configured but broken (half a key
/// pair, a named profile that does not exist) is an error, not a reason to try the next, so a
/// job never runs with credentials other than those its owner set up. The choice is made from
/// the environment and the files alone; no request is sent until the store's first call, and a
/// failure then is the store's failure (a warning, the job goes on), never a configuration error.
public enum DefaultCredentialChain {
    /// - Parameters:
    ///   - region: the store's; STS is asked in `AWS_REGION`, else this one.
    ///   - containerHost: where relative container URIs point; tests move it to loopback.
    public static func provider(environment: [String: String], home: String, region: String,
                                http: HTTPClient = S3HTTPClient.shared,
                                containerHost: String = ContainerCredentials.ecsHost) -> any CredentialProvider {
        do {
            return try choose(environment: environment, home: home, region: region, http: http, containerHost: containerHost)
        } catch {
            return FailingCredentials(error: error)
        }
    }

    static func choose(environment: [String: String], home: String, region: String, http: HTTPClient,
                       containerHost: String) throws(S3CredentialsError) -> any CredentialProvider {
        func value(_ name: String) -> String? {
            guard let value = environment[name]?.trimming(.whitespaces), !value.isEmpty else { return nil }
            return value
        }
        let stsRegion = value("AWS_REGION") ?? value("AWS_DEFAULT_REGION") ?? region
        let sts = STSEndpoint(environment: environment, region: stsRegion)

        if let keys = try environmentKeys(value) { return StaticCredentials(keys) }

        if let tokenFile = value("AWS_WEB_IDENTITY_TOKEN_FILE") {
            guard let role = value("AWS_ROLE_ARN") else {
                throw S3CredentialsError(message: "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not; set both (IRSA sets both)")
            }
            return WebIdentityCredentials(tokenFile: tokenFile, roleARN: role,
                                          sessionName: value("AWS_ROLE_SESSION_NAME") ?? STSForm.defaultSessionName(environment: environment),
                                          endpoint: sts, http: http, via: "AWS_WEB_IDENTITY_TOKEN_FILE")
        }

        let files = SharedConfigFiles(environment: environment, home: home)
        let explicitProfile = value("AWS_PROFILE") ?? value("AWS_DEFAULT_PROFILE")
        let profile = explicitProfile ?? "default"
        let resolver = ProfileResolver(files: files, environment: environment, stsRegion: stsRegion, http: http,
                                       containerHost: containerHost)
        if files.profiles[profile] != nil {
            if let provider = try resolver.provider(for: profile, visited: []) { return provider }
        } else if explicitProfile != nil {
            throw S3CredentialsError(message: "AWS_PROFILE is \(profile), but neither \(files.paths) has that profile"
                + (files.profiles.isEmpty ? " (neither file exists)" : " (they have: \(files.profiles.keys.sorted().joined(separator: ", ")))"))
        }

        if let container = try ContainerCredentials.fromEnvironment(environment, http: http, relativeHost: containerHost) {
            return container
        }
        if InstanceMetadataCredentials.isDisabled(environment) {
            throw noCredentials(files: files, profile: profile, metadata: "AWS_EC2_METADATA_DISABLED is true")
        }
        return ExplainedFailure(InstanceMetadataCredentials(environment: environment, http: http)) { error in
            noCredentials(files: files, profile: profile, metadata: error.message)
        }
    }

    static func environmentKeys(_ value: (String) -> String?) throws(S3CredentialsError) -> S3Credentials? {
        switch (value("AWS_ACCESS_KEY_ID"), value("AWS_SECRET_ACCESS_KEY")) {
        case let (keyID?, secret?):
            return S3Credentials(accessKeyID: keyID, secretAccessKey: secret, sessionToken: value("AWS_SESSION_TOKEN"),
                                 source: "the environment (AWS_ACCESS_KEY_ID)")
        case (nil, _?):
            throw S3CredentialsError(message: "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not; set both in the agent's environment")
        case (_?, nil):
            throw S3CredentialsError(message: "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not; set both in the agent's environment")
        case (nil, nil):
            return nil
        }
    }

    static func noCredentials(files: SharedConfigFiles, profile: String, metadata: String) -> S3CredentialsError {
        S3CredentialsError(message: """
            no AWS credentials found for the S3 store: none in the environment (AWS_ACCESS_KEY_ID, \
            AWS_WEB_IDENTITY_TOKEN_FILE), no usable [\(profile)] profile in \(files.paths), no container \
            credentials endpoint (AWS_CONTAINER_CREDENTIALS_*), and \(metadata). Give the agent an instance \
            role or an IRSA service account, or set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY \
            in the agent's environment
            """)
    }
}

/// The profile part of the chain: what one profile of the shared files says to do.
struct ProfileResolver {
    let files: SharedConfigFiles
    let environment: [String: String]
    let stsRegion: String
    let http: HTTPClient
    let containerHost: String

    /// nil when the profile holds no credentials setting at all (only a `region`, say).
    func provider(for name: String, visited: [String]) throws(S3CredentialsError) -> (any CredentialProvider)? {
        guard let settings = files.profiles[name] else {
            throw S3CredentialsError(message: "the profile \(name) (the source_profile of \(visited.last ?? "?")) is in neither \(files.paths)")
        }
        guard visited.count < 8, !visited.contains(name) || visited.last == name else {
            throw S3CredentialsError(message: "the profiles \((visited + [name]).joined(separator: " → ")) name each other in a loop")
        }
        let via = "profile \(name) in \(files.origins[name] ?? files.paths)"
        let region = settings["region"] ?? stsRegion
        let sts = STSEndpoint(environment: environment, region: environment["AWS_REGION"] ?? region)
        let sessionName = settings["role_session_name"] ?? STSForm.defaultSessionName(environment: environment)

        if let role = settings["role_arn"], visited.last != name {
            if let tokenFile = settings["web_identity_token_file"] {
                return WebIdentityCredentials(tokenFile: tokenFile, roleARN: role, sessionName: sessionName, endpoint: sts,
                                              http: http, via: via)
            }
            let base: any CredentialProvider
            if let source = settings["source_profile"] {
                // A profile that is its own source uses its static keys for the first hop.
                guard let provider = try provider(for: source, visited: visited + [name]) else {
                    throw S3CredentialsError(message: "the source_profile \(source) of \(via) holds no credentials")
                }
                base = provider
            } else if let source = settings["credential_source"] {
                base = try credentialSource(source, via: via)
            } else {
                throw S3CredentialsError(message: "\(via) has role_arn but no source_profile, credential_source or web_identity_token_file")
            }
            return AssumeRoleCredentials(base: base, roleARN: role, sessionName: sessionName, externalID: settings["external_id"],
                                         durationSeconds: settings["duration_seconds"].flatMap(Int.init), endpoint: sts,
                                         http: http, via: via)
        }
        if settings.keys.contains(where: { $0.hasPrefix("sso_") }) {
            throw S3CredentialsError(message: "\(via) is an SSO profile, which needs a person to log in; "
                + "give the agent a role (instance profile, IRSA) or a profile with role_arn instead")
        }
        if let command = settings["credential_process"] {
            return ProcessCredentials(command: command, via: via)
        }
        switch (settings["aws_access_key_id"], settings["aws_secret_access_key"]) {
        case let (keyID?, secret?):
            return StaticCredentials(S3Credentials(accessKeyID: keyID, secretAccessKey: secret, sessionToken: settings["aws_session_token"],
                                                   source: via))
        case (nil, nil):
            return nil
        default:
            throw S3CredentialsError(message: "\(via) needs both aws_access_key_id and aws_secret_access_key")
        }
    }

    func credentialSource(_ name: String, via: String) throws(S3CredentialsError) -> any CredentialProvider {
        switch name {
        case "Environment":
            guard let keys = try DefaultCredentialChain.environmentKeys({ environment[$0].flatMap { $0.isEmpty ? nil : $0 } }) else {
                throw S3CredentialsError(message: "\(via) has credential_source = Environment, but AWS_ACCESS_KEY_ID is not set")
            }
            return StaticCredentials(keys)
        case "Ec2InstanceMetadata":
            return InstanceMetadataCredentials(environment: environment, http: http)
        case "EcsContainer":
            guard let container = try ContainerCredentials.fromEnvironment(environment, http: http, relativeHost: containerHost) else {
                throw S3CredentialsError(message: "\(via) has credential_source = EcsContainer, but no AWS_CONTAINER_CREDENTIALS_* is set")
            }
            return container
        default:
            throw S3CredentialsError(message: "\(via) has credential_source = \(name); known: Environment, Ec2InstanceMetadata, EcsContainer")
        }
    }
}

/// A configuration that cannot give credentials: every fetch fails with the same message.
struct FailingCredentials: CredentialProvider {
    let error: S3CredentialsError
    func fetch() async throws -> S3Credentials { throw error }
}

/// The last source of the chain: its lasting failure is told as "no credentials anywhere", which
/// is what it means when nothing else was configured.
struct ExplainedFailure: CredentialProvider {
    let inner: any CredentialProvider
    let explain: @Sendable (S3CredentialsError) -> S3CredentialsError

    init(_ inner: any CredentialProvider, explain: @escaping @Sendable (S3CredentialsError) -> S3CredentialsError) {
        self.inner = inner
        self.explain = explain
    }

    func fetch() async throws -> S3Credentials {
        do {
            return try await inner.fetch()
        } catch let error as S3CredentialsError where !error.isRetryable {
            throw explain(error)
        }
    }
}
