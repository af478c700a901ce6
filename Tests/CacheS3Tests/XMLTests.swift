import Testing
@testable import CacheS3

@Suite("The small XML reader")
struct XMLTests {
    func parse(_ text: String) throws -> S3XMLNode { try S3XMLNode.parse(Array(text.utf8)) }

    @Test func readsAListingWithEntitiesCommentsAndNamespaces() throws {
        let root = try parse("""
            \u{FEFF}<?xml version="1.0" encoding="UTF-8"?>
            <!-- a comment -->
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <Name>bucket</Name><IsTruncated>true</IsTruncated>
              <Contents><Key>a&amp;b &lt;c&gt; &#233;&#x4E2D;</Key><Size>12</Size><LastModified>2009-10-12T17:50:30.000Z</LastModified></Contents>
              <Contents><Key><![CDATA[x<y>]]></Key><Size>3</Size></Contents>
              <NextContinuationToken a='1>2' b="q">1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
              <Owner/>
            </ListBucketResult>
            """)
        #expect(root.name == "ListBucketResult")
        #expect(root.all("Contents").map { $0.value("Key") } == ["a&b <c> é中", "x<y>"])
        #expect(root.value("NextContinuationToken") == "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")
        #expect(root.first("Owner")?.children.isEmpty == true)
        #expect(S3Timestamp.parse(root.all("Contents")[0].value("LastModified")!) != nil)
    }

    @Test func readsAnErrorDocument() throws {
        let root = try parse("<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>")
        #expect(root.value("Code") == "NoSuchKey")
        #expect(root.value("Message") == "The specified key does not exist.")
    }

    @Test(arguments: [
        "<!DOCTYPE html><html><body>Bad gateway</body></html>",
        "<a><b></a>",
        "<a>unterminated",
        "<a>&bogus;</a>",
        "<a></a><b></b>",
        "",
        "plain text",
        String(repeating: "<a>", count: 100) + String(repeating: "</a>", count: 100),
    ])
    func refusesWhatIsNotAnS3Answer(_ text: String) {
        #expect(throws: S3XMLError.self) { try parse(text) }
    }
}
