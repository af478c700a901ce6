import Foundation
import Testing
@testable import CacheCore

/// Secrets in every spelling, and server text that tries to act on the log.
@Suite("What reaches the log")
struct LogSafetyTests {
    let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

    @Test func everySpellingOfASecretIsRedacted() {
        let redactor = SecretRedactor(environment: ["AWS_SECRET_ACCESS_KEY": secret, "HARMLESS": secret + "x"])
        for spelling in [secret,
                         "wJalrXUtnFEMI%2FK7MDENG%2BbPxRfiCYEXAMPLEKEY",
                         "wJalrXUtnFEMI%2fK7MDENG%2bbPxRfiCYEXAMPLEKEY",
                         #"wJalrXUtnFEMI\/K7MDENG+bPxRfiCYEXAMPLEKEY"#] {
            let text = redactor.redact("entries/deps-\(spelling).json: Permission denied")
            #expect(text == "entries/deps-[REDACTED].json: Permission denied", "\(spelling)")
        }
    }

    @Test func signaturesAndCredentialScopesAServerEchoesAreRedacted() {
        let redactor = SecretRedactor(environment: [:])
        let body = #"<Error><Code>SignatureDoesNotMatch</Code><CanonicalRequest>GET /b?X-Amz-Credential=AKIAEXAMPLE%2F20261130&X-Amz-Signature=abc123def</CanonicalRequest>"#
            + #" Authorization: AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261130/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0123abcd</Error>"#
        let text = redactor.redact(body)
        #expect(!text.contains("abc123def"))
        #expect(!text.contains("0123abcd"))
        #expect(!text.contains("AKIAEXAMPLE"))
        #expect(text.contains("X-Amz-Signature=[REDACTED]"))
        #expect(text.contains("SignedHeaders=host"))
    }

    @Test func serverTextCannotOpenASectionOrRewriteALine() {
        let captured = CapturedLog()
        captured.log.warning("S3 said: denied\r\n+++ :boom: pwned\n--- also\n^^^ +++\n\u{1B}[2Kgone")
        captured.log.line("~~~ not a section")
        captured.log.errorSection("title\r\n+++ second")
        let lines = captured.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines == ["⚠️  S3 said: denied\\u{D}", " +++ :boom: pwned", " --- also", " ^^^ +++", "\\u{1B}[2Kgone",
                          " ~~~ not a section", "+++ title +++ second", ""])
    }

    @Test(arguments: ["s3://AKIAEXAMPLE:\("wJalr%2FSECRET")@bucket/prefix", "file://user:pass@/var/cache", "s3://token@bucket"])
    func aStoreURLWithCredentialsIsRefusedWithoutEchoingThem(url: String) throws {
        let scratch = try Scratch()
        let error = try #require(throws: StoreError.self) {
            try StoreLocation.resolve(option: url, environment: jobEnvironment(scratch))
        }
        let text = "\(error)"
        #expect(text.contains("must not carry them"))
        for credential in ["AKIAEXAMPLE", "wJalr", "user:pass", "token@"] {
            #expect(!text.contains(credential))
        }
    }
}
