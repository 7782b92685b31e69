// swift-tools-version:6.1
import PackageDescription

// Dependencies point one way, down this list (see DESIGN.md, "Architecture"):
// CLibPQ → Postgres → LocalPostgres / JobQueue → ReliefStore → ReliefAPI → relieflink.
let package = Package(
    name: "ReliefLink",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "relieflink", targets: ["relieflink"]),
        .library(name: "Postgres", targets: ["Postgres"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.0.0"),
        .package(url: "https://github.com/apple/swift-openapi-generator.git", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.13.4"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird.git", from: "2.1.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // libpq, the PostgreSQL C client library (Debian: libpq-dev).
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        // Our Swift wrapper of libpq: connections, pool, bound queries, typed rows,
        // transactions, LISTEN/NOTIFY, COPY. Knows nothing of relief work.
        .target(
            name: "Postgres",
            dependencies: [
                "CLibPQ",
                .product(name: "Logging", package: "swift-log"),
            ],
            // An async function runs where its caller runs, instead of hopping to the global
            // executor and back around every call: a statement issued on a connection's event
            // loop stays there (see PostgresEventLoop).
            swiftSettings: [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]
        ),
        // The durable job queue on PostgreSQL (enqueue in the caller's transaction, SKIP LOCKED
        // claims, NOTIFY wake-up, retries, unique keys, heartbeats, one leader for periodic jobs).
        // Generic: knows nothing of relief work; beneath the store, which enqueues through it.
        .target(
            name: "JobQueue",
            dependencies: [
                "Postgres",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Pure rules: roles, org tiers, id-number check, masking, (later) state machines and SLA math.
        .target(name: "ReliefDomain"),
        // A private PostgreSQL cluster started with initdb/pg_ctl, for `demo`, `bench` and tests.
        .target(
            name: "LocalPostgres",
            dependencies: [
                "Postgres",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Migrations runner and (later) the tenant-scoped repositories; SQL lives in sql/.
        .target(
            name: "ReliefStore",
            dependencies: [
                "Postgres",
                "JobQueue",
                "ReliefDomain",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Logging", package: "swift-log"),
            ],
            plugins: ["EmbedFiles"]
        ),
        // The job kinds (deliveries, SLA timers) and the runner's wiring.
        .target(
            name: "ReliefJobs",
            dependencies: [
                "JobQueue",
                "ReliefStore",
                "ReliefDomain",
                .product(name: "Logging", package: "swift-log"),
                // Deliveries POST to SMS gateways and the 12345 platform.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // The HTTP JSON API: openapi.yaml is the contract, server stubs are generated from it.
        .target(
            name: "ReliefAPI",
            dependencies: [
                "Postgres",
                "ReliefStore",
                "JobQueue",
                // /metrics: the queue's figures in Prometheus' text format.
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                // The client's address, for the per-client rate limit and the audit log.
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            plugins: [
                .plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator"),
                "EmbedFiles",
            ]
        ),
        .executableTarget(
            name: "relieflink",
            dependencies: [
                "Postgres",
                "LocalPostgres",
                "ReliefStore",
                "ReliefAPI",
                "ReliefDomain",
                "JobQueue",
                "ReliefJobs",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                // `bench intake` drives the API over real HTTP connections.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),

        // Build-time embedding of sql/migrations and openapi.yaml into the binary, so the
        // binary works from any directory and inside a container with nothing beside it.
        .executableTarget(name: "EmbedFilesTool"),
        .plugin(name: "EmbedFiles", capability: .buildTool(), dependencies: ["EmbedFilesTool"]),

        // Tests: every one runs against a real PostgreSQL that the suite starts itself.
        .target(
            name: "TestSupport",
            dependencies: ["Postgres", "LocalPostgres", "ReliefStore"],
            path: "Tests/TestSupport"
        ),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "LocalPostgres", "TestSupport"]),
        .testTarget(name: "ReliefDomainTests", dependencies: ["ReliefDomain"]),
        .testTarget(name: "JobQueueTests", dependencies: ["JobQueue", "Postgres", "LocalPostgres", "TestSupport"]),
        .testTarget(
            name: "ReliefStoreTests",
            dependencies: ["ReliefStore", "ReliefDomain", "TestSupport", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // Runs the built `relieflink` binary the way an operator would.
        .testTarget(
            name: "CommandLineTests",
            dependencies: [
                "TestSupport",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
                // RobustnessTests: the real server over HTTP, on a private PostgreSQL;
                // SLAKillTests: two job runners, one killed, over the store's cases.
                "LocalPostgres", "Postgres", "ReliefDomain", "ReliefStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // Deliveries and SLA timers with a real runner, database and HTTP receiver.
        .testTarget(
            name: "ReliefJobsTests",
            dependencies: [
                "ReliefJobs", "ReliefStore", "ReliefDomain", "JobQueue", "Postgres", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "ReliefAPITests",
            dependencies: [
                "ReliefAPI", "ReliefStore", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
