import CacheKeys
import Testing
@testable import CacheCore

@Suite("Resolving definitions for a job")
struct ResolvedCacheTests {
    @Test func cacheKeyPartsJoinWithDashesAndFallBackToTheMandatoryPrefix() throws {
        let scratch = try Scratch()
        try scratch.write("checkout/go.sum", "module sums")
        let json = #"{"caches":[{"name":"gomod","cache_key":["v2",{"agent":"os","fallback_limit":true},{"checksum":"go.sum"}],"target_paths":["~/go/pkg/mod"]}]}"#
        let environment = jobEnvironment(scratch, configuration: json)
        let configuration = try #require(try ConfigurationLoader.load(environment))
        let cache = try ResolvedCache.resolve(configuration.caches[0], environment: environment)
        let os = KeyContext.hostOS
        #expect(cache.key.hasPrefix("v2-\(os)-"))
        #expect(cache.key.count == "v2-\(os)-".count + 64)
        #expect(cache.fallbackKeys == ["v2-\(os)-"])
        #expect(cache.paths[0].root == .home)
        #expect(cache.paths[0].absolutePath == scratch.path + "/home/go/pkg/mod")
        #expect(cache.paths[0].memberName == "home/go/pkg/mod")
    }

    @Test func aChecksumOfAMissingFileFailsBeforeAnyStoreCall() throws {
        let scratch = try Scratch()
        let json = #"{"caches":[{"id":"npm","key":"{{ checksum \"package-lock.json\" }}","paths":["node_modules"]}]}"#
        let environment = jobEnvironment(scratch, configuration: json)
        let configuration = try #require(try ConfigurationLoader.load(environment))
        let error = try #require(throws: ConfigurationError.self) {
            try ResolvedCache.resolve(configuration.caches[0], environment: environment)
        }
        #expect(error.message.contains("package-lock.json"))
        #expect(error.source.contains("plugin configuration"))
    }

    @Test func pathsResolveAgainstCheckoutHomeAndRoot() throws {
        let checkout = "/work/job"
        let home = "/home/agent"
        #expect(try CachePath("node_modules", checkout: checkout, home: home).absolutePath == "/work/job/node_modules")
        #expect(try CachePath("./a/../b/", checkout: checkout, home: home).memberName == "checkout/b")
        #expect(try CachePath("~/.npm", checkout: checkout, home: home).absolutePath == "/home/agent/.npm")
        #expect(try CachePath("/opt/tool", checkout: checkout, home: home).memberName == "absolute/opt/tool")
    }

    @Test(arguments: ["..", "../..", "a/../..", "/work", "~/.."])
    func pathsThatContainTheCheckoutOrHomeAreRefused(path: String) {
        #expect(throws: CachePathError.self) {
            try CachePath(path, checkout: "/work/job", home: "/home/agent")
        }
    }

    @Test func environmentNameOfAnId() throws {
        let scratch = try Scratch()
        let environment = jobEnvironment(scratch, configuration: #"{"caches":[{"id":"node_modules2","key":"k","paths":["x"]}]}"#)
        let configuration = try #require(try ConfigurationLoader.load(environment))
        let cache = try ResolvedCache.resolve(configuration.caches[0], environment: environment)
        #expect(cache.environmentName == "NODE_MODULES2")
    }
}
