import Foundation
import Testing
@testable import CacheS3

@Suite("Store URLs and credentials")
struct LocationAndCredentialsTests {
    @Test func awsDefaultsAreVirtualHostedInTheRegion() throws {
        let location = try S3Location(url: "s3://my-cache/build/cache/", environment: ["AWS_REGION": "eu-west-1"])
        #expect(location.bucket == "my-cache")
        #expect(location.prefix == "build/cache")
        #expect(location.region == "eu-west-1")
        #expect(location.hostHeader == "my-cache.s3.eu-west-1.amazonaws.com")
        #expect(location.path(forKey: location.key("v1/x")) == "/build/cache/v1/x")
        #expect(location.description == "s3://my-cache/build/cache")
        #expect(try S3Location(url: "s3://my-cache").region == "us-east-1")
    }

    @Test func theAgentsQueryNamesWork() throws {
        let location = try S3Location(url: "s3://b-1/p?region=us-west-2&endpoint=http://localhost:9000&use_path_style=true&concurrency=8&part_size_mb=32")
        #expect(location.region == "us-west-2")
        #expect(location.scheme == "http")
        #expect(location.usePathStyle)
        #expect(location.hostHeader == "localhost:9000")
        #expect(location.path(forKey: "p/k") == "/b-1/p/k")
        #expect(location.transfer.concurrency == 8)
        #expect(location.transfer.partSize == 32 * 1024 * 1024)
        // An IP address has no subdomains: path style without being asked.
        #expect(try S3Location(url: "s3://bucket?endpoint=http://127.0.0.1:4566").usePathStyle)
        #expect(try !S3Location(url: "s3://bucket?endpoint=https://minio.example.com").usePathStyle)
    }

    @Test(arguments: [
        ("s3://Bad_Bucket/x", "bucket name"),
        ("s3://bucket/x?regoin=eu-west-1", "unknown option 'regoin'"),
        ("s3://bucket?endpoint=ftp://host", "endpoint"),
        ("s3://bucket?use_path_style=maybe", "use_path_style"),
        ("s3://bucket?part_size_mb=1", "part_size_mb"),
    ])
    func badURLsSayWhatIsWrong(_ url: String, _ expected: String) {
        #expect {
            try S3Location(url: url)
        } throws: { error in
            "\(error)".contains(expected) && "\(error)".contains("s3://BUCKET/PREFIX")
        }
    }

    @Test func partSizesStayWithinS3sLimits() {
        let options = S3TransferOptions(multipartThreshold: 1, partSize: 1, concurrency: 0)
        #expect(options.partSize == S3TransferOptions.minimumPartSize)
        #expect(options.multipartThreshold == options.partSize)
        #expect(options.concurrency == 1)
        // 100 GiB in 16 MiB parts would be 6,400 parts; 1 TiB needs bigger parts to stay under 10,000.
        let big = S3TransferOptions().partSize(forUploadOf: 1 << 40)
        #expect(big * S3TransferOptions.maximumParts >= 1 << 40)
    }

    @Test func credentialsNeverPrintTheirValues() {
        let credentials = S3Credentials.forTests
        var dumped = ""
        dump(credentials, to: &dumped)
        for text in [String(describing: credentials), String(reflecting: credentials), dumped, "\(credentials)"] {
            for secret in credentials.secretValues { #expect(!text.contains(secret)) }
        }
    }
}
