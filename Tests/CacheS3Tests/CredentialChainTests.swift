import Foundation
import TestSupport
import Testing
@testable import CacheS3

/// Each source of the default chain alone, against real servers on loopback (moto_server for STS,
/// credentials-server.py for the metadata service and the container endpoint), then the order
/// when several are configured at once.
@Suite("The AWS default credential chain", .motoServer)
struct CredentialChainTests {
    var moto: MotoServer { get throws { try #require(MotoServer.current) } }
    static let role = "arn:aws:iam::123456789012:role/swift-cache-ci"

    /// The chain with the metadata service switched off unless a test sets its endpoint: no test
    /// may ask the real 169.254.169.254.
    func fetch(_ environment: [String: String], home: String = "/nonexistent",
               containerHost: String = ContainerCredentials.ecsHost) async throws -> S3Credentials {
        var environment = environment
        if environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"] == nil { environment["AWS_EC2_METADATA_DISABLED"] = "true" }
        return try await DefaultCredentialChain.provider(environment: environment, home: home, region: "us-east-1",
                                                         containerHost: containerHost).fetch()
    }

    func failure(_ environment: [String: String], home: String = "/nonexistent") async -> String {
        do {
            _ = try await fetch(environment, home: home)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func environmentKeysAlone() async throws {
        let credentials = try await fetch(["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "secretenv", "AWS_SESSION_TOKEN": "tok"])
        #expect(credentials.accessKeyID == "AKIDENV")
        #expect(credentials.sessionToken == "tok")
        #expect(credentials.source == "the environment (AWS_ACCESS_KEY_ID)")
        #expect(await failure(["AWS_ACCESS_KEY_ID": "AKIDENV"]).contains("AWS_SECRET_ACCESS_KEY is not"))
    }

    @Test func webIdentityFromTheEnvironmentAsksSTS() async throws {
        let scratch = try ScratchDirectory()
        try "eyJhbGciOi.web-identity-token".write(toFile: scratch.path + "/token", atomically: true, encoding: .utf8)
        let credentials = try await fetch([
            "AWS_WEB_IDENTITY_TOKEN_FILE": scratch.path + "/token", "AWS_ROLE_ARN": Self.role,
            "AWS_ROLE_SESSION_NAME": "job-1", "AWS_ENDPOINT_URL_STS": try moto.endpoint,
        ])
        #expect(credentials.accessKeyID.hasPrefix("ASIA"))
        #expect(credentials.sessionToken != nil)
        #expect(credentials.expiration != nil)
        #expect(credentials.source.contains("AssumeRoleWithWebIdentity") && credentials.source.contains(Self.role))
        #expect(await failure(["AWS_WEB_IDENTITY_TOKEN_FILE": scratch.path + "/token"]).contains("AWS_ROLE_ARN"))
        #expect(await failure(["AWS_WEB_IDENTITY_TOKEN_FILE": scratch.path + "/gone", "AWS_ROLE_ARN": Self.role])
            .contains("cannot be read"))
    }

    @Test func profileKeysComeFromEitherFileAndTheCredentialsFileWins() async throws {
        let scratch = try ScratchDirectory()
        try FileManager.default.createDirectory(atPath: scratch.path + "/.aws", withIntermediateDirectories: true)
        try """
            [default]
            region = eu-west-1
            [profile ci]
            aws_access_key_id = AKIDCONFIG
            aws_secret_access_key = secretconfig
            [profile only-config]
            aws_access_key_id = AKIDONLYCONFIG
            aws_secret_access_key = secretonlyconfig
            """.write(toFile: scratch.path + "/.aws/config", atomically: true, encoding: .utf8)
        try """
            # comment
            [ci]
            AWS_ACCESS_KEY_ID=AKIDCI
            aws_secret_access_key=secretci
            aws_session_token = tokci ; not a comment in values
            [broken]
            aws_access_key_id = only
            """.write(toFile: scratch.path + "/.aws/credentials", atomically: true, encoding: .utf8)
        let ci = try await fetch(["AWS_PROFILE": "ci"], home: scratch.path)
        #expect(ci.accessKeyID == "AKIDCI")
        #expect(ci.sessionToken == "tokci ; not a comment in values")
        #expect(ci.source.contains("profile ci"))
        #expect(try await fetch(["AWS_PROFILE": "only-config"], home: scratch.path).accessKeyID == "AKIDONLYCONFIG")
        #expect(await failure(["AWS_PROFILE": "broken"], home: scratch.path).contains("needs both"))
        #expect(await failure(["AWS_PROFILE": "nope"], home: scratch.path).contains("AWS_PROFILE is nope"))
        // A config file that does not exist is skipped, not an error.
        let moved = try await fetch(["AWS_PROFILE": "ci", "AWS_CONFIG_FILE": scratch.path + "/missing",
                                     "AWS_SHARED_CREDENTIALS_FILE": scratch.path + "/.aws/credentials"])
        #expect(moved.accessKeyID == "AKIDCI")
        // [default] has only a region: no credentials there, so the chain goes on (and finds none).
        #expect(await failure([:], home: scratch.path).contains("no AWS credentials found"))
    }

    @Test func aProfileWithRoleARNAssumesItWithItsSourceProfile() async throws {
        let scratch = try ScratchDirectory()
        try """
            [profile deploy]
            role_arn = \(Self.role)
            source_profile = base
            role_session_name = swift-cache-test
            [profile chained]
            role_arn = arn:aws:iam::123456789012:role/second
            source_profile = deploy
            [profile loop-a]
            role_arn = \(Self.role)
            source_profile = loop-b
            [profile loop-b]
            role_arn = \(Self.role)
            source_profile = loop-a
            """.write(toFile: scratch.path + "/config", atomically: true, encoding: .utf8)
        try "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = secretbase\n"
            .write(toFile: scratch.path + "/credentials", atomically: true, encoding: .utf8)
        let environment = ["AWS_CONFIG_FILE": scratch.path + "/config", "AWS_SHARED_CREDENTIALS_FILE": scratch.path + "/credentials",
                           "AWS_ENDPOINT_URL": try moto.endpoint]
        let deploy = try await fetch(environment.merging(["AWS_PROFILE": "deploy"]) { $1 })
        #expect(deploy.accessKeyID.hasPrefix("ASIA") && deploy.accessKeyID != "AKIDBASE")
        #expect(deploy.expiration != nil)
        #expect(deploy.source.contains("STS AssumeRole") && deploy.source.contains("profile base"))
        let chained = try await fetch(environment.merging(["AWS_PROFILE": "chained"]) { $1 })
        #expect(chained.source.contains("role/second") && chained.source.contains("role/swift-cache-ci"))
        #expect(await failure(environment.merging(["AWS_PROFILE": "loop-a"]) { $1 }).contains("loop"))
    }

    @Test func aProfileWithAWebIdentityTokenFile() async throws {
        let scratch = try ScratchDirectory()
        try "token-from-profile".write(toFile: scratch.path + "/token", atomically: true, encoding: .utf8)
        try "[profile irsa]\nrole_arn = \(Self.role)\nweb_identity_token_file = \(scratch.path)/token\n"
            .write(toFile: scratch.path + "/config", atomically: true, encoding: .utf8)
        let credentials = try await fetch(["AWS_PROFILE": "irsa", "AWS_CONFIG_FILE": scratch.path + "/config",
                                           "AWS_ENDPOINT_URL_STS": try moto.endpoint])
        #expect(credentials.accessKeyID.hasPrefix("ASIA"))
        #expect(credentials.source.contains("AssumeRoleWithWebIdentity") && credentials.source.contains("profile irsa"))
    }

    @Test func aProfileWithACredentialProcess() async throws {
        let scratch = try ScratchDirectory()
        let script = scratch.path + "/creds.sh"
        try """
            #!/bin/sh
            echo '{"Version": 1, "AccessKeyId": "AKIDPROCESS", "SecretAccessKey": "processsecret", "SessionToken": "proctok", "Expiration": "2099-01-01T00:00:00Z"}'
            """.write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        try "[default]\ncredential_process = \(script) --role ci\n[profile failing]\ncredential_process = exit 3\n"
            .write(toFile: scratch.path + "/config", atomically: true, encoding: .utf8)
        let credentials = try await fetch(["AWS_CONFIG_FILE": scratch.path + "/config"])
        #expect(credentials.accessKeyID == "AKIDPROCESS")
        #expect(credentials.sessionToken == "proctok")
        #expect(credentials.expiration == CredentialTimestamp.parse("2099-01-01T00:00:00Z"))
        #expect(await failure(["AWS_CONFIG_FILE": scratch.path + "/config", "AWS_PROFILE": "failing"]).contains("exited with status 3"))
    }

    @Test func containerCredentialsWithAnAuthorizationToken() async throws {
        try await withCredentialsServer(token: "pod-identity-token-swiftcache") { server in
            let scratch = try ScratchDirectory()
            try "pod-identity-token-swiftcache\n".write(toFile: scratch.path + "/token", atomically: true, encoding: .utf8)
            let fromFile = try await fetch(["AWS_CONTAINER_CREDENTIALS_FULL_URI": server.containerURI,
                                            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": scratch.path + "/token"])
            #expect(fromFile.accessKeyID == "ASIACONTAINER0001")
            #expect(fromFile.source.contains("AWS_CONTAINER_CREDENTIALS_FULL_URI"))
            #expect(fromFile.expiration != nil)
            let fromVariable = try await fetch(["AWS_CONTAINER_CREDENTIALS_FULL_URI": server.containerURI,
                                                "AWS_CONTAINER_AUTHORIZATION_TOKEN": "pod-identity-token-swiftcache"])
            #expect(fromVariable.accessKeyID == "ASIACONTAINER0002")
            let refused = await failure(["AWS_CONTAINER_CREDENTIALS_FULL_URI": server.containerURI,
                                         "AWS_CONTAINER_AUTHORIZATION_TOKEN": "wrong"])
            #expect(refused.contains("HTTP 401") && !refused.contains("wrong"))
            // ECS: a path below the agent's fixed address, moved to loopback for the test.
            let relative = try await fetch(["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/task-id",
                                            "AWS_CONTAINER_AUTHORIZATION_TOKEN": "pod-identity-token-swiftcache"],
                                           containerHost: server.endpoint + "/container")
            #expect(relative.source.contains("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"))
        }
        #expect(await failure(["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://example.com/creds"]).contains("must be https"))
    }

    @Test func instanceMetadataWithAnIMDSv2Token() async throws {
        try await withCredentialsServer { server in
            let credentials = try await fetch(["AWS_EC2_METADATA_SERVICE_ENDPOINT": server.endpoint])
            #expect(credentials.accessKeyID == "ASIAIMDS0001")
            #expect(credentials.source == "EC2 instance metadata: role swift-cache-role")
            #expect(credentials.expiration != nil)
            #expect(try await server.stats()["token"] == 1)
            let disabled = await failure(["AWS_EC2_METADATA_SERVICE_ENDPOINT": server.endpoint, "AWS_EC2_METADATA_DISABLED": "true"])
            #expect(disabled.contains("AWS_EC2_METADATA_DISABLED"))
        }
    }

    @Test func nothingConfiguredSaysWhatToSet() async throws {
        let closed = "http://127.0.0.1:\(try MotoServer.freePort())"
        let text = await failure(["AWS_EC2_METADATA_SERVICE_ENDPOINT": closed])
        #expect(text.contains("no AWS credentials found"))
        #expect(text.contains("AWS_ACCESS_KEY_ID") && text.contains("AWS_PROFILE") && text.contains("instance role"))
        #expect(text.contains("metadata service at \(closed)"))
    }

    /// Every source configured at once, then taken away one by one: each time the next in the
    /// SDKs' order answers.
    @Test func theChainsOrderWhenSeveralAreConfigured() async throws {
        try await withCredentialsServer { server in
            let scratch = try ScratchDirectory()
            try "token".write(toFile: scratch.path + "/token", atomically: true, encoding: .utf8)
            try "[default]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = secretprofile\n"
                .write(toFile: scratch.path + "/credentials", atomically: true, encoding: .utf8)
            var environment = [
                "AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "secretenv",
                "AWS_WEB_IDENTITY_TOKEN_FILE": scratch.path + "/token", "AWS_ROLE_ARN": Self.role,
                "AWS_ENDPOINT_URL_STS": try moto.endpoint,
                "AWS_SHARED_CREDENTIALS_FILE": scratch.path + "/credentials",
                "AWS_CONTAINER_CREDENTIALS_FULL_URI": server.containerURI,
                "AWS_EC2_METADATA_SERVICE_ENDPOINT": server.endpoint,
            ]
            var sources: [String] = []
            for removed in [[], ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"], ["AWS_WEB_IDENTITY_TOKEN_FILE"],
                            ["AWS_SHARED_CREDENTIALS_FILE"], ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]] {
                for name in removed { environment[name] = nil }
                if removed == ["AWS_SHARED_CREDENTIALS_FILE"] { environment[removed[0]] = scratch.path + "/none" }
                sources.append(try await fetch(environment).source)
            }
            #expect(sources[0] == "the environment (AWS_ACCESS_KEY_ID)")
            #expect(sources[1].contains("AssumeRoleWithWebIdentity"))
            #expect(sources[2].hasPrefix("profile default"))
            #expect(sources[3].contains("container credentials"))
            #expect(sources[4].hasPrefix("EC2 instance metadata"))
        }
    }

    @Test func sharedFilesParseLikeTheCLI() {
        let sections = SharedConfigFiles.parse("[profile a]\nregion = x\n  s3 =\n    max_concurrent_requests = 2\n; c\n[b]\nK = v\n")
        #expect(sections.map(\.0) == ["profile a", "b"])
        #expect(sections[0].1 == ["region": "x"])
        #expect(sections[1].1 == ["k": "v"])
    }
}
