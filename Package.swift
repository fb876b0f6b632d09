// swift-tools-version: 6.1
import PackageDescription

// CI sets LEDGER_WARNINGS_AS_ERRORS=1 so that any warning in our own targets fails the build
// (dependencies are not affected).
let warningsAsErrors: [SwiftSetting] =
    Context.environment["LEDGER_WARNINGS_AS_ERRORS"] == "1" ? [.unsafeFlags(["-warnings-as-errors"])] : []

let strict: [SwiftSetting] =
    [
        .enableUpcomingFeature("ExistentialAny"),
        .enableUpcomingFeature("MemberImportVisibility"),
    ] + warningsAsErrors

let package = Package(
    name: "custody-ledger",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "ledger", targets: ["LedgerCLI"]),
        .executable(name: "ledger-bench", targets: ["LedgerBench"]),
        .library(name: "LedgerCore", targets: ["LedgerCore"]),
        .library(name: "LedgerApp", targets: ["LedgerApp"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
    ],
    targets: [
        // The system OpenSSL (libcrypto): modulemap and shim header only.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]
        ),
        // The one Swift wrapper over OpenSSL: digests, Ed25519, PKCS#8 PEM keys.
        .target(name: "LedgerCrypto", dependencies: ["COpenSSL"], swiftSettings: strict),
        // The pure core: JSON and JCS, entries, Merkle tree, checkpoints, type table, verification rules. No I/O.
        .target(name: "LedgerCore", dependencies: ["LedgerCrypto"], swiftSettings: strict),
        // The SQLite store (GRDB), behind the core's `LedgerStore` protocol.
        .target(
            name: "LedgerSQLite",
            dependencies: [
                "LedgerCore", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        // Use cases the command line runs: init, keys, append, checkpoint, verify (parallel), export.
        .target(
            name: "LedgerApp", dependencies: ["LedgerCore", "LedgerCrypto", "LedgerSQLite"], swiftSettings: strict),
        // The `ledger` executable: argument parsing and printing only.
        .executableTarget(
            name: "LedgerCLI",
            dependencies: [
                "LedgerApp", "LedgerCore", "LedgerCrypto", "LedgerSQLite",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // `tools/bench` runs this in release mode.
        .executableTarget(name: "LedgerBench", dependencies: ["LedgerApp"], swiftSettings: strict),
        // Temporary ledgers, key fixtures, the tamper toolkit, the vectors' location.
        .target(
            name: "LedgerTestSupport",
            dependencies: ["LedgerApp", "LedgerCore", "LedgerCrypto", "LedgerSQLite"],
            path: "Tests/LedgerTestSupport",
            swiftSettings: strict
        ),
        .testTarget(
            name: "LedgerCryptoTests", dependencies: ["LedgerCrypto", "LedgerTestSupport"], swiftSettings: strict),
        .testTarget(name: "LedgerCoreTests", dependencies: ["LedgerCore", "LedgerTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "LedgerAppTests",
            dependencies: [
                "LedgerApp", "LedgerCore", "LedgerCrypto", "LedgerSQLite", "LedgerTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LedgerCLITests", dependencies: ["LedgerCore", "LedgerCrypto", "LedgerTestSupport"],
            swiftSettings: strict),
    ]
)
