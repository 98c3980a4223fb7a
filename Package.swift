// swift-tools-version:6.0
// The target list is the architecture: each target is one layer and dependencies flow downward.
//
//   slotctl, slotd (executables)      thin entry points
//     ├─ SlotCLI                       the CLI's command table (ArgumentParser)
//     │   ├─ SlotClient                blocking Varlink client over the Unix socket (no NIO: fast CLI start)
//     │   └─ SlotSim                   trace replay through the engine: readers, mapping, report
//     └─ SlotDaemon                    the daemon: engine (scheduler + store + executor), Varlink server (NIO),
//         │                            identity (SO_PEERCRED), config, sd_notify, lifecycle
//         ├─ SlotStore                 SQLite via GRDB (WAL): requests, transitions, accounts, audit hash chain
//         ├─ SlotSlurm                 slots as Slurm batch jobs (sbatch/squeue/sinfo/scancel, one adapter)
//         ├─ SlotSandbox               slot execution: systemd transient units, or child processes
//         ├─ SlotReport                allocation reports from stored history (pure), CSV and SVG (Art. 8, 26.3)
//         └─ SlotProtocol              Varlink envelopes, the io.slotd.* IDL, wire messages and named errors
//             └─ SlotJSON              the yajl JSON codec and a request's JSON (store pages, replies)
//                 └─ SlotDomain        records: request states and details, reasons, contests, accounts,
//                                      audit entries, reports (the store and SlotReport use these, not the wire)
//   SlotPolicy                        strict TOML policy loader and validator (file:line:column errors)
//     └─ SlotCore                      pure domain: policy model, explainable priority, scheduler engine
//         └─ SlotQueue                 lock-free per-class priority queue core (atomics only)
//   SlotBench (Benchmarks/)            release benchmark of SlotQueue against Mutex<Heap>
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "slotd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "slotd", targets: ["slotd"]),
        .executable(name: "slotctl", targets: ["slotctl"]),
        .executable(name: "slotbench", targets: ["SlotBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-atomics", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", exact: "0.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .target(
            name: "SlotQueue",
            dependencies: [
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "SlotCore",
            dependencies: ["SlotQueue", .product(name: "HeapModule", package: "swift-collections")],
            swiftSettings: strict
        ),
        .target(
            name: "SlotPolicy",
            dependencies: ["SlotCore", .product(name: "TOMLKit", package: "TOMLKit")],
            swiftSettings: strict
        ),
        .target(name: "CSlotSpawn"),
        .target(
            name: "SlotSandbox", dependencies: ["CSlotSpawn", "CSystemd"], exclude: ["README.md"],
            swiftSettings: strict),
        // slotd in front of Slurm: the command-line adapter and the executor that runs slots as Slurm jobs.
        .target(name: "SlotSlurm", dependencies: ["SlotSandbox", "SlotCore", "CSlotSpawn"], swiftSettings: strict),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .systemLibrary(name: "CYAJL", pkgConfig: "yajl", providers: [.apt(["libyajl-dev"])]),
        // Records the store keeps, the report counts and the wire carries: no dependencies.
        .target(name: "SlotDomain", swiftSettings: strict),
        // The yajl JSON codec, and a request's JSON: the store's pages and the wire's replies write the same bytes.
        .target(name: "SlotJSON", dependencies: ["SlotDomain", "CYAJL"], swiftSettings: strict),
        .target(name: "SlotProtocol", dependencies: ["SlotDomain", "SlotJSON"], swiftSettings: strict),
        .target(name: "SlotClient", dependencies: ["SlotProtocol"], swiftSettings: strict),
        .target(name: "SlotReport", dependencies: ["SlotDomain"], swiftSettings: strict),
        .target(
            name: "SlotStore",
            dependencies: [
                "SlotCore", "SlotDomain", "SlotJSON", "SlotReport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "SlotDaemon",
            dependencies: [
                "SlotCore", "SlotPolicy", "SlotProtocol", "SlotStore", "SlotSandbox", "SlotSlurm", "SlotReport",
                "CSystemd",
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "SlotSim",
            dependencies: ["SlotCore", .product(name: "HeapModule", package: "swift-collections")],
            swiftSettings: strict
        ),
        .target(
            name: "SlotCLI",
            dependencies: [
                "SlotCore", "SlotPolicy", "SlotSim", "SlotProtocol", "SlotClient", "SlotReport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(name: "slotctl", dependencies: ["SlotCLI"], swiftSettings: strict),
        .executableTarget(
            name: "slotd",
            dependencies: [
                "SlotDaemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "SlotBench",
            dependencies: [
                "SlotQueue", "SlotCore", "SlotSandbox", "SlotClient", "SlotProtocol", "SlotStore", "SlotPolicy",
                "SlotSlurm",
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/SlotBench",
            swiftSettings: strict
        ),
        .target(
            name: "SlotTestSupport", dependencies: ["SlotCore"], path: "Tests/SlotTestSupport",
            swiftSettings: strict),
        .testTarget(name: "SlotQueueTests", dependencies: ["SlotQueue", "SlotTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "SlotCoreTests", dependencies: ["SlotCore", "SlotQueue", "SlotTestSupport"], swiftSettings: strict
        ),
        .testTarget(
            name: "SlotPolicyTests", dependencies: ["SlotPolicy", "SlotCore", "SlotQueue", "SlotTestSupport"],
            exclude: ["Fixtures"],
            swiftSettings: strict
        ),
        .testTarget(name: "SlotSandboxTests", dependencies: ["SlotSandbox"], swiftSettings: strict),
        .testTarget(
            name: "SlotSlurmTests", dependencies: ["SlotSlurm", "SlotSandbox", "SlotCore"], swiftSettings: strict),
        .testTarget(
            name: "SlotProtocolTests", dependencies: ["SlotProtocol", "SlotTestSupport"], swiftSettings: strict),
        .testTarget(name: "SlotReportTests", dependencies: ["SlotReport", "SlotDomain"], swiftSettings: strict),
        .testTarget(
            name: "SlotSimTests", dependencies: ["SlotSim", "SlotCore", "SlotPolicy"], exclude: ["Fixtures"],
            swiftSettings: strict),
        // Drive the built slotd and slotctl binaries; depending on them makes `swift test` build them first.
        .testTarget(
            name: "SlotDaemonTests",
            dependencies: [
                "slotd", "slotctl", "SlotDaemon", "SlotClient", "SlotProtocol", "SlotSlurm",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SlotStoreTests",
            dependencies: [
                "SlotStore", "SlotProtocol", "SlotTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "SlotCLITests",
            dependencies: ["slotctl", "SlotCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            exclude: ["Golden"], swiftSettings: strict),
    ]
)
