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

// The executables allocate through jemalloc on Linux (Debian's libjemalloc-dev): glibc's malloc spent about 5 % of
// `ledger verify`'s CPU and more of a commit group's, much of it freeing on one thread what another allocated.
// LEDGER_SYSTEM_MALLOC=1 builds them with the C library's allocator instead.
let allocator: [LinkerSetting] =
    Context.environment["LEDGER_SYSTEM_MALLOC"] == "1" ? [] : [.linkedLibrary("jemalloc", .when(platforms: [.linux]))]

let package = Package(
    name: "custody-ledger",
    products: [
        .executable(name: "ledger", targets: ["LedgerCLI"]),
        .executable(name: "ledger-bench", targets: ["LedgerBench"]),
        .library(name: "LedgerCore", targets: ["LedgerCore"]),
        .library(name: "LedgerApp", targets: ["LedgerApp"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/vapor/postgres-nio", exact: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(
            url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // The system OpenSSL (libcrypto): modulemap and shim header only.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]
        ),
        // The concurrency toolkit every pipeline is built from: slot buffers, parallel loops, background work.
        .target(name: "LedgerConcurrency", swiftSettings: strict),
        // The one Swift wrapper over OpenSSL: digests, Ed25519, PKCS#8 PEM keys.
        .target(name: "LedgerCrypto", dependencies: ["COpenSSL", "LedgerConcurrency"], swiftSettings: strict),
        // The log core, no I/O and no domain: JSON and JCS, entries, Merkle tree, checkpoints and signed notes,
        // the rule engine over a type table given as a value, the verifier over a domain fold, the store protocols.
        .target(name: "LedgerCore", dependencies: ["LedgerCrypto"], swiftSettings: strict),
        // The custody domain on the log core: its type-table rows and roles, records, the fold, projections as data.
        .target(name: "CustodyDomain", dependencies: ["LedgerCore", "LedgerCrypto"], swiftSettings: strict),
        // Court-export bundles: disclosure, BagIt, the report and timelines, CASE/UCO, the bundle verifier.
        .target(
            name: "CourtBundle", dependencies: ["LedgerConcurrency", "LedgerCore", "CustodyDomain", "LedgerCrypto"],
            swiftSettings: strict),
        // The SQLite store (GRDB), behind the core's `LedgerStore` protocol.
        .target(
            name: "LedgerSQLite",
            dependencies: [
                "LedgerCore", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        // The PostgreSQL store (postgres-nio, no ORM), behind the core's `LedgerStore` protocol.
        .target(
            name: "LedgerPostgres",
            dependencies: [
                "LedgerCore", "LedgerCrypto", .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // `ledger serve`: the HTTP server (Hummingbird) over the same use cases the command line runs.
        .target(
            name: "LedgerServer",
            dependencies: [
                "CourtBundle", "CustodyDomain", "LedgerApp", "LedgerClient", "LedgerCore", "LedgerCrypto", "LedgerHTTP",
                "LedgerLabels", "LedgerWeb", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        // The client of `ledger serve`: signed requests (AsyncHTTPClient), answers turned back into ledger errors.
        .target(
            name: "LedgerClient",
            dependencies: [
                "LedgerApp", "LedgerCore", "LedgerCrypto", "LedgerHTTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        // What the server and its clients share without any HTTP engine: RFC 9421 message signatures, RFC 9530
        // digests, RFC 9457 problem details, the API's JSON shapes.
        .target(name: "LedgerHTTP", dependencies: ["LedgerCore", "LedgerCrypto"], swiftSettings: strict),
        // Use cases the command line runs: init, keys, append, checkpoint, verify (parallel), export.
        .target(
            name: "LedgerApp",
            dependencies: ["CourtBundle", "CustodyDomain", "LedgerConcurrency", "LedgerCore", "LedgerCrypto"],
            swiftSettings: strict),
        // The stores this build has, by ledger location: the one place that names a store type.
        .target(
            name: "LedgerStores", dependencies: ["LedgerCore", "LedgerPostgres", "LedgerSQLite"], swiftSettings: strict),
        // The `ledger` executable: argument parsing and printing only.
        .executableTarget(
            name: "LedgerCLI",
            dependencies: [
                "CourtBundle", "CustodyDomain", "LedgerApp", "LedgerCore", "LedgerClient", "LedgerCrypto",
                "LedgerLabels", "LedgerServer", "LedgerStores", "LedgerWeb",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict,
            linkerSettings: allocator
        ),
        // `tools/bench` runs this in release mode.
        .executableTarget(
            name: "LedgerBench",
            dependencies: [
                "CourtBundle", "CustodyDomain", "LedgerApp", "LedgerClient", "LedgerConcurrency", "LedgerCore",
                "LedgerCrypto", "LedgerServer", "LedgerStores", .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict, linkerSettings: allocator),
        // libzint (Debian's libzint-dev): modulemap and shim header only, like COpenSSL.
        .systemLibrary(name: "CZint", path: "Sources/CZint"),
        // Printable exhibit, seal and location labels: QR / Data Matrix and Code 128 through libzint, as SVG or PNG.
        .target(name: "LedgerLabels", dependencies: ["CZint"], swiftSettings: strict),
        // The web interface `ledger serve` serves: plain HTML, CSS and ES modules in app/ (no build step), copied
        // next to the binary as a resource folder; the Swift side only finds and loads them.
        .target(name: "LedgerWeb", dependencies: ["LedgerCrypto"], resources: [.copy("app")], swiftSettings: strict),
        // Temporary ledgers, key fixtures, the tamper toolkit, the vectors' location.
        .target(
            name: "LedgerTestSupport",
            dependencies: [
                "CourtBundle", "CustodyDomain", "LedgerApp", "LedgerCore", "LedgerCrypto", "LedgerPostgres",
                "LedgerSQLite", "LedgerStores",
            ],
            path: "Tests/LedgerTestSupport",
            swiftSettings: strict
        ),
        .testTarget(name: "LedgerConcurrencyTests", dependencies: ["LedgerConcurrency"], swiftSettings: strict),
        .testTarget(name: "LedgerLabelsTests", dependencies: ["LedgerLabels"], swiftSettings: strict),
        .testTarget(
            name: "LedgerCryptoTests", dependencies: ["LedgerCrypto", "LedgerTestSupport"], swiftSettings: strict),
        .testTarget(name: "LedgerCoreTests", dependencies: ["LedgerCore", "LedgerTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "CustodyDomainTests", dependencies: ["CustodyDomain", "LedgerCore", "LedgerTestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "CourtBundleTests",
            dependencies: ["CourtBundle", "CustodyDomain", "LedgerCore", "LedgerTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "LedgerAppTests",
            dependencies: [
                "CourtBundle", "CustodyDomain", "LedgerApp", "LedgerConcurrency", "LedgerCore", "LedgerCrypto",
                "LedgerSQLite", "LedgerStores", "LedgerTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LedgerSQLiteTests",
            dependencies: [
                "CustodyDomain", "LedgerApp", "LedgerCore", "LedgerSQLite", "LedgerTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict),
        // One suite that every store passes: SQLite and the in-memory double alike.
        .testTarget(
            name: "LedgerStoreConformanceTests",
            dependencies: [
                "CustodyDomain", "LedgerApp", "LedgerCore", "LedgerCrypto", "LedgerStores", "LedgerTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "LedgerHTTPTests", dependencies: ["LedgerCore", "LedgerCrypto", "LedgerHTTP"], swiftSettings: strict),
        .testTarget(
            name: "LedgerServerTests",
            dependencies: [
                "CustodyDomain", "LedgerApp", "LedgerClient", "LedgerCore", "LedgerCrypto", "LedgerHTTP",
                "LedgerServer", "LedgerWeb",
                "LedgerTestSupport", .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "LedgerCLITests",
            dependencies: [
                "CourtBundle", "CustodyDomain", "LedgerApp", "LedgerClient", "LedgerCore", "LedgerCrypto",
                "LedgerTestSupport",
            ],
            swiftSettings: strict),
    ]
)
