import Foundation
import Testing
@testable import CacheKeys

@Suite("Key template functions")
struct KeyTemplateFunctionTests {
    @Test func idAndAgentFactsComeFromTheContext() throws {
        let value = try render("{{ id }}-{{ agent.os }}-{{ agent.arch }}", context(os: "darwin", arch: "arm64", id: "gems"))
        #expect(value == "gems-darwin-arm64")
    }

    @Test func hostFactsUseGoSpelling() {
        #expect(["linux", "darwin", "windows", "freebsd", "openbsd", "ios"].contains(KeyContext.hostOS))
        #expect(["amd64", "arm64", "386", "arm", "ppc64le", "s390x"].contains(KeyContext.hostArch))
    }

    @Test func envReadsTheJobEnvironmentAndTrimsLikeTheAgent() throws {
        let ctx = context(environment: ["RUBY_VERSION": "  3.3.0\n"])
        #expect(try render(#"v-{{ env "RUBY_VERSION" }}"#, ctx) == "v-3.3.0")
        #expect(try render("v-{{ env 'RUBY_VERSION' }}", ctx) == "v-3.3.0")
    }

    @Test func missingEnvRendersEmptyLikeTheAgent() throws {
        #expect(try render(#"v-{{ env "NOT_SET" }}-x"#) == "v--x")
    }

    @Test func dottedEnvironmentSpellings() throws {
        let ctx = context(environment: ["NODE": "20"])
        #expect(try render("{{ env.NODE }}/{{ .Environment.NODE }}", ctx) == "20/20")
    }

    @Test func buildkiteVariables() throws {
        let ctx = context(environment: [
            "BUILDKITE_BRANCH": "feature/x", "BUILDKITE_COMMIT": "abc123",
            "BUILDKITE_PIPELINE_SLUG": "web", "BUILDKITE_ORGANIZATION_SLUG": "acme",
            "BUILDKITE_BUILD_NUMBER": "42",
        ])
        #expect(try render("{{ organization }}/{{ pipeline }}/{{ git.branch }}/{{ git.commit }}", ctx)
                == "acme/web/feature/x/abc123")
        #expect(try render("{{ .Branch }}-{{ .Revision }}-{{ .BuildNum }}", ctx) == "feature/x-abc123-42")
    }

    @Test(arguments: [
        ("{{ git.branch }}", "BUILDKITE_BRANCH"),
        ("x-{{ pipeline }}", "BUILDKITE_PIPELINE_SLUG"),
        ("x-{{ organization }}", "BUILDKITE_ORGANIZATION_SLUG"),
        ("x-{{ git.commit }}", "BUILDKITE_COMMIT"),
    ])
    func missingBuildkiteVariableIsAnErrorNamingIt(template: String, variable: String) throws {
        let error = #expect(throws: KeyTemplateError.self) {
            try render(template, context(environment: ["BUILDKITE_BRANCH": "   "]))
        }
        #expect(error?.message.contains(variable) == true)
        #expect(error?.column == template.distance(from: template.startIndex, to: template.range(of: "{{")!.lowerBound) + 1)
    }

    @Test func epochAndDateUseTheInjectedClockInUTC() throws {
        let ctx = context(now: Date(timeIntervalSince1970: 1_700_000_000.9)) // 2023-11-14T22:13:20Z, a Tuesday
        #expect(try render("{{ epoch }}", ctx) == "1700000000")
        #expect(try render("{{ date }}", ctx) == "2023-11-14")
        #expect(try render(#"{{ date "%G-W%V-%u %j %H:%M:%S %%" }}"#, ctx) == "2023-W46-2 318 22:13:20 %")
    }

    @Test(arguments: [
        ("linux", "amd64", "Linux", "X64", "linux-amd64"),
        ("darwin", "arm64", "macOS", "ARM64", "darwin-arm64"),
        ("windows", "386", "Windows", "X86", "windows-386"),
        ("plan9", "riscv64", "Generic", "RISCV64", "plan9-riscv64"),
    ])
    func otherToolsPlatformSpellings(os: String, arch: String, runnerOS: String, runnerArch: String, platform: String) throws {
        let ctx = context(os: os, arch: arch)
        #expect(try render("{{ runner.os }}|{{ runner.arch }}|{{ arch }}|{{ os }}", ctx)
                == "\(runnerOS)|\(runnerArch)|\(platform)|\(os)")
    }

    @Test func checksumInATemplateMatchesFileChecksumWithEitherQuote() throws {
        let dir = try TemporaryDirectory()
        try dir.write("package-lock.json", "{\"lockfileVersion\": 3}\n")
        let expected = try FileChecksum.checksum(of: ["package-lock.json"], in: dir.path)
        let ctx = context(in: dir.path)
        #expect(try render(#"{{ id }}-{{ checksum "package-lock.json" }}"#, ctx) == "deps-\(expected)")
        #expect(try render("{{ id }}-{{ checksum 'package-lock.json' }}", ctx) == "deps-\(expected)")
        #expect(try render("{{ id }}-{{ checksum `package-lock.json` }}", ctx) == "deps-\(expected)")

        try dir.write("sub/b.lock", "b")
        let both = try FileChecksum.checksum(of: ["package-lock.json", "**/*.lock"], in: dir.path)
        #expect(try render(#"{{checksum "package-lock.json" '**/*.lock'}}"#, ctx) == both)
        #expect(both != expected)
    }

    @Test func checksumThatMatchesNothingFailsAtItsColumn() throws {
        let dir = try TemporaryDirectory()
        let error = #expect(throws: KeyTemplateError.self) {
            try render(#"{{ id }}-{{ checksum "yarn.lock" }}"#, context(in: dir.path))
        }
        #expect(error?.message == "checksum: no file matches 'yarn.lock' (relative to \(dir.path))")
        #expect(error?.column == 10)
    }

    @Test(arguments: ["{{id}}-{{agent.os}}", "{{ id }}-{{ agent.os }}", "{{   id\t}}-{{\nagent.os  }}", "{{id }}-{{ agent.os}}"])
    func whitespaceInsideActionsIsOptional(template: String) throws {
        #expect(try render(template) == "deps-linux")
    }

    @Test func trimMarkersAndCommentsBehaveAsInGoTemplates() throws {
        #expect(try render("a  {{- id -}}  b") == "adepsb")
        #expect(try render("a-{{/* the lock file */}}b") == "a-b")
        #expect(try render("a- {{- /* note */ -}} -b") == "a--b")
    }

    @Test func valuesAreNotHTMLEscaped() throws {
        let ctx = context(environment: ["WEIRD": "<&>\"'"])
        #expect(try render(#"x<&>-{{ env "WEIRD" }}"#, ctx) == "x<&>-<&>\"'")
    }

    @Test func quotedStringActionWritesBracesLiterally() throws {
        #expect(try render(#"{{ "{{" }}x{{ "}}" }}"#) == "{{x}}")
    }

    @Test func renderedKeyIsTrimmedAndMustNotBeEmpty() throws {
        #expect(try render("  {{ id }}-v1  ") == "deps-v1")
        let error = #expect(throws: KeyTemplateError.self) {
            try render(#"{{ env "UNSET" }}  "#)
        }
        #expect(error?.message.contains("empty") == true)
    }

    @Test func textWithSingleBracesIsCopied() throws {
        #expect(try render("a{b}c-{{ id }}") == "a{b}c-deps")
    }
}
