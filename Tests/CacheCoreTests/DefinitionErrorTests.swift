import Testing
@testable import CacheCore

/// Every kind of bad input gets an error that names its source, its position and the key at fault.
@Suite("Bad cache definitions")
struct DefinitionErrorTests {
    func error(_ json: String) throws -> ConfigurationError {
        let scratch = try Scratch()
        return try #require(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(jobEnvironment(scratch, configuration: json))
        }
    }

    /// Options from the environment are JSON the agent wrote: errors name the option path the
    /// user wrote in pipeline.yml, never a column of that JSON.
    @Test func unknownTopLevelKeyIsNamedWithItsOptionPath() throws {
        let failure = try error(#"{"caches":[],"stor":"file:///x"}"#)
        #expect(failure.message.contains("unknown key 'stor'"))
        #expect(failure.description.hasPrefix("plugin configuration (BUILDKITE_PLUGIN_CONFIGURATION), option stor: "))
    }

    @Test(arguments: [
        (#"{"caches":[{"id":"a","key":"k","paths":["x"],"fallback_keys":null}]}"#, "caches[0].fallback_keys"),
        (#"{"caches":[{"id":"a","key":"k","paths":["x"]},{"id":"b","key":"k","paths":["y", {"z":1}]}]}"#, "caches[1].paths[1]"),
        (#"{"caches":[],"retry":{"save":{"attempts":0}}}"#, "retry.save.attempts"),
        (#"{"caches":[{"id":"a","key":"k","paths":["x"]},{"id":"a","key":"k","paths":["y"]}]}"#, "caches[1]"),
        (#"{"caches":[{"id":"a","key":"{{ git.branch }}","paths":["x"]}]}"#, "caches[0].key"),
    ])
    func errorsInOptionsNameTheOptionPath(json: String, path: String) throws {
        let scratch = try Scratch()
        let failure = try #require(throws: ConfigurationError.self) {
            let environment = jobEnvironment(scratch, configuration: json, extra: ["BUILDKITE_BRANCH": ""])
            let configuration = try #require(try ConfigurationLoader.load(environment))
            _ = try ResolvedCache.resolveAll(configuration, environment: environment)
        }
        #expect(failure.optionPath == path, "\(failure)")
        #expect(failure.description.contains("option \(path): "))
        #expect(!failure.description.contains(":1:"), "no JSON column: \(failure)")
    }

    /// A cache file is text the user wrote: it keeps FILE:LINE:COL.
    @Test func errorsInACacheFileKeepTheirPosition() throws {
        let scratch = try Scratch()
        try scratch.write("checkout/.buildkite/cache.yml", "dependencies:\n  - id: a\n    key: k\n    paths: [x]\n    colour: red\n")
        let failure = try #require(throws: ConfigurationError.self) { try ConfigurationLoader.load(jobEnvironment(scratch)) }
        #expect(failure.optionPath == nil)
        #expect(failure.description.hasPrefix(".buildkite/cache.yml:5:5: "))
    }

    /// A missing AWS credential is a setting of the agent, not a definition to fix: the cache fails
    /// (the job goes on unless fail-on-error) and the line says what to set.
    @Test func aMissingAWSCredentialSaysWhatToSet() async throws {
        let scratch = try Scratch()
        let json = #"{"store":"s3://bucket/prefix?region=eu-west-1","caches":[{"id":"a","key":"k","paths":["x"]}]}"#
        let env = jobEnvironment(scratch, configuration: json, extra: [
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SHARED_CREDENTIALS_FILE": scratch.path + "/none"])
        let captured = CapturedLog()
        let status = await RestoreJob.run(environment: env, log: captured.log, exportFile: nil, dryRun: false)
        #expect(status == .success)
        #expect(captured.text.contains("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not; set both in the agent's environment"),
                "\(captured.text)")
        #expect(!captured.text.contains("Fix the cache definition"))
    }

    @Test func unknownCacheKeyIsNamed() throws {
        let failure = try error(#"{"caches":[{"id":"a","key":"k","paths":["x"],"fallback-keys":["k"]}]}"#)
        #expect(failure.message.contains("unknown key 'fallback-keys'"))
        #expect(failure.message.contains("fallback_keys"))
    }

    @Test func nullIsRejected() throws {
        let failure = try error(#"{"caches":[{"id":"a","key":null,"paths":["x"]}]}"#)
        #expect(failure.message.contains("'key'"))
        #expect(failure.message.contains("null"))
    }

    @Test func wrongTypeSaysWhatWasExpected() throws {
        let failure = try error(#"{"caches":[],"concurrency":"many"}"#)
        #expect(failure.message.contains("whole number"))
        let range = try error(#"{"caches":[],"concurrency":0}"#)
        #expect(range.message.contains("between 1 and 16"))
        let flag = try error(#"{"caches":[],"fail-on-error":"yes"}"#)
        #expect(flag.message.contains("true or false"))
        let choice = try error(#"{"caches":[],"save-when":"sometimes"}"#)
        #expect(choice.message.contains("success, failure, always, never"))
    }

    @Test(arguments: [
        (#""annotate":"yes""#, "true or false"),
        (#""save-on-fork-pull-requests":1"#, "true or false"),
        (#""compression-level":20"#, "between 1 and 19"),
        (#""compression-level":"fast""#, "whole number"),
        (#""save-branches":"[oops""#, "save-branches"),
        (#""save-branches":{}"#, "must be a list of strings"),
        (#""binary-dir":"""#, "must not be empty"),
        (#""store":null"#, "null"),
        (#""dry-run":"yes""#, "true or false"),
        (#""dry-run":null"#, "null"),
    ])
    func everyOptionRejectsBadValues(option: String, expected: String) throws {
        let failure = try error("{\"caches\":[],\(option)}")
        #expect(failure.message.contains(expected), "message was: \(failure)")
        #expect(failure.mark != nil)
    }

    @Test(arguments: ["node-modules", "a b", "", "ü"])
    func badIdentifiers(id: String) throws {
        let failure = try error(#"{"caches":[{"id":"\#(id)","key":"k","paths":["x"]}]}"#)
        #expect(failure.message.contains("id") || failure.message.contains("empty"))
    }

    @Test(arguments: [".", "/", "~", "~/", "./", "..", "", "  "])
    func protectedOrBlankPaths(path: String) throws {
        let failure = try error(#"{"caches":[{"id":"a","key":"k","paths":["\#(path)"]}]}"#)
        #expect(failure.message.contains("path"))
    }

    @Test func duplicatePathsAreNamed() throws {
        let failure = try error(#"{"caches":[{"id":"a","key":"k","paths":["x","./x/"]}]}"#)
        #expect(failure.message.contains("listed twice"))
    }

    @Test func unknownTemplateListsTheKnownOnes() throws {
        let failure = try error(#"{"caches":[{"id":"a","template":"cobol"}]}"#)
        #expect(failure.message.contains("unknown template 'cobol'"))
        #expect(failure.message.contains("node-npm"))
    }

    @Test func badKeyTemplateIsAConfigurationError() throws {
        let failure = try error(#"{"caches":[{"id":"a","key":"{{ nope }}","paths":["x"]}]}"#)
        #expect(failure.message.contains("bad key"))
    }

    @Test func missingKeyAndPaths() throws {
        #expect(try error(#"{"caches":[{"id":"a","paths":["x"]}]}"#).message.contains("needs a 'key'"))
        #expect(try error(#"{"caches":[{"id":"a","key":"k"}]}"#).message.contains("needs 'paths'"))
    }

    @Test func cacheKeyFormatAllowsOneFallbackLimit() throws {
        let failure = try error(#"{"caches":[{"name":"a","cache_key":[{"agent":"os","fallback_limit":true},{"env":"X","fallback_limit":true}],"target_paths":["x"]}]}"#)
        #expect(failure.message.contains("only one part"))
        let part = try error(#"{"caches":[{"name":"a","cache_key":[{"agent":"os","env":"X"}],"target_paths":["x"]}]}"#)
        #expect(part.message.contains("exactly one of"))
        let agent = try error(#"{"caches":[{"name":"a","cache_key":[{"agent":"kernel"}],"target_paths":["x"]}]}"#)
        #expect(agent.message.contains("must be one of"))
    }

    @Test func brokenJSONReportsLineAndColumn() throws {
        let failure = try error(#"{"caches": [}"#)
        #expect(failure.mark != nil)
        #expect(failure.description.hasPrefix("plugin configuration (BUILDKITE_PLUGIN_CONFIGURATION):1:"))
    }

    @Test func retryOverridesAreValidated() throws {
        let failure = try error(#"{"caches":[],"retry":{"restore":{"attempts":0}}}"#)
        #expect(failure.message.contains("between 1 and 100"))
        let strategy = try error(#"{"caches":[],"retry":{"save":{"strategy":"random"}}}"#)
        #expect(strategy.message.contains("exponential-subsecond"))
        let interval = try error(#"{"caches":[],"retry":{"save":{"interval":"soon"}}}"#)
        #expect(interval.message.contains("retry.save"))
    }
}
