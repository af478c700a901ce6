import CacheYAML
import Testing

/// Plugin options arrive as JSON from the agent; JSON is YAML, so the same
/// loader must take it, in compact and pretty forms.
@Suite struct JSONInputTests {
    @Test func compactJSONLoads() throws {
        let root = try loadDocument(#"{"a":1,"b":[true,null,"x\/y","\u00e9"]}"#)
        #expect(root["a"]?.int == 1)
        let list = try #require(root["b"]?.sequence)
        #expect(list.count == 4)
        #expect(list[0].bool == true)
        #expect(list[1].isNull)
        #expect(list[2].string == "x/y")
        #expect(list[3].string == "é")
    }

    @Test func compactJSONHasColumnsOnOneLine() throws {
        let root = try loadDocument(#"{"a":1,"b":[true,null]}"#)
        #expect(root.mark == mark(1, 1))
        #expect(root["a"]?.mark == mark(1, 6))
        #expect(root["b"]?.mark == mark(1, 12))
        #expect(root["b"]?.sequence?[1].mark == mark(1, 18))
    }

    @Test func prettyPrintedAgentPluginJSONLoads() throws {
        let root = try loadDocument("""
            [
              {
                "github.com/your-org/swift-cache#v1.0.0": {
                  "caches": [
                    {"id": "node_modules", "paths": ["node_modules"], "restore_timeout": -1.5}
                  ],
                  "save_on_failure": false
                }
              }
            ]
            """)
        let options = try #require(root.sequence?.first?["github.com/your-org/swift-cache#v1.0.0"])
        #expect(options["save_on_failure"]?.bool == false)
        let cache = try #require(options["caches"]?.sequence?.first)
        #expect(cache["id"]?.string == "node_modules")
        #expect(cache["paths"]?.sequence?.first?.string == "node_modules")
        #expect(cache["restore_timeout"]?.kindDescription == "a number")
        #expect(cache.mark == mark(5, 9))
    }
}
