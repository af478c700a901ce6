import Foundation
import TestSupport
import Testing
@testable import CacheS3

/// The store URLs of the README's recipes (AWS, R2, GCS, MinIO) parse, and address each service
/// the way it wants to be addressed. (readme-examples.bats checks their options against plugin.yml.)
@Suite("The README's S3 recipes")
struct ReadmeRecipeTests {
    static let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("README.md").path

    /// Every `store: s3://…` line between `#### Recipes` and the next heading of a higher level.
    static func recipeURLs() throws -> [String] {
        let text = try String(contentsOfFile: readme, encoding: .utf8)
        guard let start = text.range(of: "#### Recipes") else { throw FixtureError("README.md has no '#### Recipes' section") }
        let section = text[start.upperBound...]
        let end = section.range(of: "\n### ")?.lowerBound ?? section.endIndex
        return section[..<end].split(separator: "\n").compactMap { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            return trimmed.hasPrefix("store: s3://") ? String(trimmed.dropFirst("store: ".count)) : nil
        }
    }

    @Test func everyRecipeURLAddressesItsService() throws {
        let urls = try Self.recipeURLs()
        #expect(urls.count == 5, "\(urls)")
        var hosts: [String] = []
        for url in urls {
            let location = try S3Location(url: url)
            hosts.append(location.host)
            switch location.host {
            case let host where host.hasSuffix(".amazonaws.com"):
                #expect(host == "s3.\(location.region).amazonaws.com" && !location.usePathStyle && location.scheme == "https")
            case let host where host.hasSuffix(".r2.cloudflarestorage.com") || host == "storage.googleapis.com":
                #expect(location.region == "auto" && location.usePathStyle && location.scheme == "https", "\(url)")
            case "minio.internal":
                #expect(location.usePathStyle && location.port == 9000 && location.scheme == "http")
            default:
                Issue.record("a recipe for an unknown service: \(url)")
            }
        }
        #expect(hosts.contains("storage.googleapis.com") && hosts.contains("minio.internal")
            && hosts.contains { $0.hasSuffix("r2.cloudflarestorage.com") } && hosts.contains { $0.hasSuffix("amazonaws.com") })
    }
}
