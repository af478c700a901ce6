// swift-tools-version:6.0
import PackageDescription

/// One library target per idea (YAML, keys, archive, retry, the core that joins
/// them), so that each can be built and tested on its own and a newcomer finds a
/// behaviour from the folder names. The executables stay thin.
let package = Package(
    name: "swift-cache",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "cache-restore", targets: ["cache-restore"]),
        .executable(name: "cache-save", targets: ["cache-save"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.24.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"]), .brew(["libyaml"])]
        ),
        .systemLibrary(
            name: "CArchive",
            pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"]), .brew(["libarchive"])]
        ),
        .systemLibrary(
            name: "CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"]), .brew(["zstd"])]
        ),
        // zlib: CRC-32 and raw Deflate for the agent's zip archives (its manifest entry is Deflate).
        // No pkgConfig: zlib.pc puts -L/usr/lib/<triple> on the link line, where it would make the
        // release build's -lzstd, -larchive and -lyaml find the shared libraries, not the static ones.
        .systemLibrary(name: "CZlib"),
        .systemLibrary(name: "CSystemCalls"),
        .target(name: "CacheYAML", dependencies: ["CLibYAML"]),
        // The byte-to-text spellings (hex digests, percent-encoding) that keys, blob names, S3
        // signatures and the log's redaction must agree on.
        .target(name: "CacheEncoding"),
        // What the Linux build would otherwise take from full Foundation (and ICU) in place of FoundationEssentials.
        .target(name: "EssentialsCompat"),
        .target(name: "CacheKeys", dependencies: ["CacheEncoding", "EssentialsCompat", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "CacheArchive", dependencies: ["CArchive", "CZstd", "CZlib", "CSystemCalls", "CacheEncoding", "EssentialsCompat", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "CacheRetry"),
        .target(
            name: "CacheS3",
            dependencies: [
                "CacheRetry", "CacheEncoding",
                "EssentialsCompat",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "CacheCore",
            dependencies: [
                "CacheYAML", "CacheKeys", "CacheArchive", "CacheRetry", "CacheS3", "CacheEncoding", "CSystemCalls", "EssentialsCompat",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Both commands live in CacheCLI so that one executable can answer both names (a release
        // artifact ships cache-restore once, with cache-save linked to it); the two executables
        // of the development build are a line each.
        .target(
            name: "CacheCLI",
            dependencies: ["CacheCore", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(name: "cache-restore", dependencies: ["CacheCLI"]),
        .executableTarget(name: "cache-save", dependencies: ["CacheCLI"]),
        // Fuzz targets for untrusted input. A normal build makes regression runners that
        // replay a corpus directory; scripts/fuzz rebuilds them with -DFUZZING and libFuzzer.
        .target(name: "FuzzSupport"),
        .executableTarget(name: "fuzz-yaml", dependencies: ["CacheYAML", "FuzzSupport"]),
        .executableTarget(name: "fuzz-key-template", dependencies: ["CacheKeys", "FuzzSupport"]),
        .testTarget(name: "CacheYAMLTests", dependencies: ["CacheYAML"]),
        .testTarget(name: "CacheKeysTests", dependencies: ["CacheKeys"]),
        .testTarget(name: "CacheArchiveTests", dependencies: ["CacheArchive"]),
        .testTarget(name: "CacheRetryTests", dependencies: ["CacheRetry"]),
        .testTarget(name: "CacheEncodingTests", dependencies: ["CacheEncoding"]),
        // What several test targets share (a moto_server per suite), as FuzzSupport is for the fuzzers.
        .target(
            name: "TestSupport",
            dependencies: [.product(name: "AsyncHTTPClient", package: "async-http-client")],
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "CacheS3Tests",
            dependencies: [
                "CacheS3", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .testTarget(name: "CacheCLITests", dependencies: ["CacheCLI"]),
        .testTarget(name: "EssentialsCompatTests", dependencies: ["EssentialsCompat"]),
        .testTarget(
            name: "CacheCoreTests",
            dependencies: [
                "CacheCore", "TestSupport",
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// Members of a module are visible only in files that import it (SE-0444). Without this, full
// Foundation's String methods, visible through any dependency that imports Foundation, would win
// over the standard library's in files that import only FoundationEssentials, and would link
// Foundation and ICU (half the Linux release binary) back in without a word.
for target in package.targets where target.type == .regular || target.type == .executable {
    target.swiftSettings = (target.swiftSettings ?? []) + [.enableUpcomingFeature("MemberImportVisibility")]
}
