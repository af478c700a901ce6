import Testing
@testable import CacheKeys

@Suite("Key template errors")
struct KeyTemplateErrorTests {
    @Test(arguments: [
        // (template, column, a fragment of the message)
        ("{{ id }}-{{ idd }}", 13, "unknown name 'idd'"),
        ("v1-{{ id", 4, "never closed with '}}'"),
        ("v1-{{ id }}-}}", 13, "without an opening '{{'"),
        ("{{ id \"x\" }}", 7, "'id' takes no arguments"),
        ("{{ env }}", 4, "'env' needs the variable's name"),
        (#"{{ env "A" "B" }}"#, 12, "'env' takes one variable name"),
        ("{{ checksum package-lock.json }}", 13, "must be quoted"),
        ("{{ checksum }}", 4, "'checksum' needs at least one"),
        (#"{{ checksum "a.lock }}"#, 13, "never closed"),
        ("x-{{ }}", 3, "empty action"),
        ("x-{{  -}}", 3, "empty action"),
        ("{{ id {{ agent.os }}", 7, "'{{' inside an action"),
        ("{{ id + }}", 7, "must be quoted"),
        (#"{{ "a" id }}"#, 8, "must be alone"),
        ("{{ env. }}", 4, "does not name a variable"),
        ("{{/* note }}", 3, "comment"),
        (#"{{ checksum "ok" "src/[a-" }}"#, 18, "'[' is never closed"),
        (#"{{ date "%Y-%q" }}"#, 13, "unknown date directive '%q'"),
        (#"{{ date "a" "b" }}"#, 13, "at most one format"),
    ])
    func rejectedWithColumn(template: String, column: Int, fragment: String) throws {
        let error = try #require(parseError(template))
        #expect(error.column == column, "\(error)")
        #expect(error.message.contains(fragment), "\(error.message)")
        #expect(error.template == template)
    }

    @Test func descriptionNamesTemplateAndColumn() throws {
        let error = try #require(parseError("{{ idd }}"))
        #expect(error.description.contains("column 4"))
        #expect(error.description.contains("'{{ idd }}'"))
        #expect(error.description.contains("known: id, agent.os"))
    }

    @Test func columnsCountCharactersNotBytes() throws {
        let error = try #require(parseError("é-ü-{{ nope }}"))
        #expect(error.column == 8)
    }

    @Test func textIsKeptExactly() throws {
        let template = try KeyTemplate("  {{ id }}-v1")
        #expect(template.text == "  {{ id }}-v1")
    }
}
