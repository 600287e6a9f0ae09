// swift-tools-version:6.0
// PersonaHSM: an HSM-backed signing service. Layers follow docs/ARCHITECTURE in README.md:
// transport → router/interceptors → services → registry/audit → HSM scheduler → PKCS#11.
// Each arrow is a module boundary; C lives only in C-prefixed modules.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "PersonaHSM",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "personahsmd", targets: ["personahsmd"]),
        .executable(name: "personahsm", targets: ["personahsm"]),
        .executable(name: "personahsm-load", targets: ["personahsm-load"]),
        .executable(name: "protogen-swift", targets: ["protogen-swift"]),
        .library(name: "p11fault", type: .dynamic, targets: ["CP11Fault"]),
    ],
    targets: [
        // ── C system libraries (Debian packages) ──────────────────────────────
        .systemLibrary(name: "COpenSSL", path: "Sources/C/COpenSSL", pkgConfig: "openssl",
                       providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CProtobufC", path: "Sources/C/CProtobufC", pkgConfig: "libprotobuf-c",
                       providers: [.apt(["libprotobuf-c-dev"])]),
        .systemLibrary(name: "CPKCS11", path: "Sources/C/CPKCS11", pkgConfig: "p11-kit-1",
                       providers: [.apt(["libp11-kit-dev"])]),
        .systemLibrary(name: "CSodium", path: "Sources/C/CSodium", pkgConfig: "libsodium",
                       providers: [.apt(["libsodium-dev"])]),
        // One shim target for macros, variadics and headers Glibc does not export.
        .target(name: "CShims", dependencies: ["COpenSSL", "CPKCS11"], path: "Sources/C/CShims"),
        // protoc-c output for Protos/, committed (make generate).
        .target(name: "CPersonaProtos", dependencies: ["CProtobufC"], path: "Sources/C/CPersonaProtos"),
        // protoc-c output for google/protobuf/descriptor.proto: the code generator reads schemas with it.
        .target(name: "CProtoDescriptor", dependencies: ["CProtobufC"], path: "Tools/CProtoDescriptor"),
        // Fault- and latency-injecting PKCS#11 module (built as libp11fault.so).
        .target(name: "CP11Fault", dependencies: ["CPKCS11"], path: "Sources/C/CP11Fault"),

        // ── Swift layers, bottom up ────────────────────────────────────────────
        .target(name: "SoftCrypto", dependencies: ["COpenSSL", "CShims", "CSodium"], swiftSettings: swiftSettings),
        .target(name: "PKCS11", dependencies: ["CPKCS11", "CShims"], swiftSettings: swiftSettings),
        .target(name: "HSMScheduler", dependencies: ["PKCS11", "SoftCrypto", "CShims"], swiftSettings: swiftSettings),
        .target(name: "RPCCore", swiftSettings: swiftSettings),
        .target(name: "Observability", swiftSettings: swiftSettings),
        .target(name: "ArgumentParsing", swiftSettings: swiftSettings),
        .target(name: "RPCTransport", dependencies: ["RPCCore", "COpenSSL", "CShims"],
                swiftSettings: swiftSettings),
        .target(name: "PersonaProtos", dependencies: ["RPCCore", "CPersonaProtos", "CProtobufC"],
                swiftSettings: swiftSettings),
        .target(name: "Credentials", dependencies: ["SoftCrypto"], swiftSettings: swiftSettings),
        .target(name: "KeyRegistry", dependencies: ["HSMScheduler", "PKCS11", "SoftCrypto", "Credentials"],
                swiftSettings: swiftSettings),
        .target(name: "AuditLog", dependencies: ["SoftCrypto"], swiftSettings: swiftSettings),
        // Key custody: M-of-N quorum ledger on the token, backup/restore/escrow bundles sealed in a vault HSM.
        .target(name: "Custody", dependencies: ["KeyRegistry", "PKCS11", "SoftCrypto"], swiftSettings: swiftSettings),
        .target(name: "PersonaServices",
                dependencies: ["PersonaProtos", "RPCCore", "KeyRegistry", "AuditLog", "HSMScheduler",
                               "SoftCrypto", "Credentials", "Observability", "Custody"],
                swiftSettings: swiftSettings),
        .target(name: "PersonaClient", dependencies: ["PersonaProtos", "RPCCore", "RPCTransport", "Credentials", "SoftCrypto"],
                swiftSettings: swiftSettings),

        .target(name: "PersonaServer",
                dependencies: ["PersonaServices", "RPCTransport", "RPCCore", "HSMScheduler", "PKCS11", "KeyRegistry",
                               "AuditLog", "Observability", "PersonaProtos", "SoftCrypto", "Custody"],
                swiftSettings: swiftSettings),

        // ── Executables ────────────────────────────────────────────────────────
        .executableTarget(name: "personahsmd",
                          dependencies: ["PersonaServer", "ArgumentParsing", "Observability"],
                          swiftSettings: swiftSettings),
        .executableTarget(name: "personahsm",
                          dependencies: ["PersonaClient", "Credentials", "AuditLog", "ArgumentParsing", "PersonaProtos",
                                         "RPCCore", "SoftCrypto"],
                          swiftSettings: swiftSettings),
        .target(name: "LoadHarness", dependencies: ["PersonaClient", "RPCCore", "PersonaProtos"], swiftSettings: swiftSettings),
        .executableTarget(name: "personahsm-load", dependencies: ["PersonaClient", "LoadHarness", "ArgumentParsing", "PersonaProtos"],
                          swiftSettings: swiftSettings),
        // Test helper for the audit log: the crash-test writer and the group-commit benchmark.
        .executableTarget(name: "audit-harness", dependencies: ["AuditLog", "SoftCrypto"],
                          path: "Tests/AuditHarness", swiftSettings: swiftSettings),
        // HSM worker process (one PKCS#11 session, batches over a pipe) and the HSM benchmark.
        .executableTarget(name: "personahsm-hsm-worker", dependencies: ["HSMScheduler"],
                          swiftSettings: swiftSettings),
        .executableTarget(name: "hsm-bench", dependencies: ["HSMScheduler", "PKCS11", "COpenSSL"],
                          path: "Tools/hsm-bench", swiftSettings: swiftSettings),

        // Baseline of `make bench-issue`: a direct PKCS#11 Ed25519 signing loop on the dev token.
        .executableTarget(name: "pkcs11-sign-ceiling", dependencies: ["PKCS11"], path: "Tools/pkcs11-sign-ceiling",
                          swiftSettings: swiftSettings),
        // Peer comparison of `make bench`: a C_Sign loop through SoftHSM2 or p11-kit's client module.
        .executableTarget(name: "bench-p11kit", dependencies: ["PKCS11"], path: "Tools/bench-p11kit",
                          swiftSettings: swiftSettings),
        .executableTarget(name: "rpc-bench", dependencies: ["RPCTransport", "RPCCore"],
                          swiftSettings: swiftSettings),
        // libFuzzer targets (make fuzz); ordinary builds link a replay main.
        .executableTarget(name: "fuzz-frames", dependencies: ["RPCCore"], path: "Tests/Fuzz/fuzz-frames",
                          swiftSettings: swiftSettings),
        .executableTarget(name: "fuzz-messages", dependencies: ["CPersonaProtos", "CProtobufC"],
                          path: "Tests/Fuzz/fuzz-messages", swiftSettings: swiftSettings),

        // ── Code generator (Tools/) ────────────────────────────────────────────
        .target(name: "ProtoGenKit", dependencies: ["CProtoDescriptor", "CProtobufC", "RPCCore"], path: "Tools/ProtoGenKit",
                swiftSettings: swiftSettings),
        .executableTarget(name: "protogen-swift", dependencies: ["ProtoGenKit"], path: "Tools/protogen-swift",
                          swiftSettings: swiftSettings),
        // Encode/decode cost of generated messages against raw protobuf-c (`swift run -c release protobench`).
        .executableTarget(name: "protobench", dependencies: ["PersonaProtos", "CPersonaProtos", "CProtobufC"],
                          path: "Tools/protobench", swiftSettings: swiftSettings),
        // Test-only: the generator's kitchen-sink fixture compiled (protoc-c codec + golden Swift, whose
        // Generated/ folder links to Tests/ProtoGenKitTests/Golden), and helpers the proto tests share.
        .target(name: "CKitchenSinkProtos", dependencies: ["CProtobufC"], path: "Tests/Fixtures/CKitchenSinkProtos"),
        .target(name: "KitchenSinkProtos", dependencies: ["RPCCore", "CKitchenSinkProtos", "CProtobufC"],
                path: "Tests/Fixtures/KitchenSinkProtos", swiftSettings: swiftSettings),
        .target(name: "ProtoTestSupport", dependencies: ["RPCCore"], path: "Tests/Support/ProtoTestSupport",
                swiftSettings: swiftSettings),

        // ── Tests ──────────────────────────────────────────────────────────────
        // Golden files and the fixture schema are read from the source tree (the refresh script writes there).
        .testTarget(name: "ProtoGenKitTests", dependencies: ["ProtoGenKit", "protogen-swift", "ProtoTestSupport"],
                    path: "Tests/ProtoGenKitTests", exclude: ["Golden", "Fixtures"], swiftSettings: swiftSettings),
        .testTarget(name: "PersonaProtosTests", dependencies: ["PersonaProtos", "RPCCore", "ProtoTestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "KitchenSinkProtosTests", dependencies: ["KitchenSinkProtos", "RPCCore", "ProtoTestSupport"],
                    swiftSettings: swiftSettings),
        // Shared test helpers (Wycheproof loader, ../shared paths, the SoftHSM2 fixture) for any test target.
        .target(name: "TestSupport", dependencies: ["SoftCrypto", "PKCS11", "COpenSSL"], path: "Tests/TestSupport",
                swiftSettings: swiftSettings),
        .testTarget(name: "SoftCryptoTests", dependencies: ["SoftCrypto", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "PKCS11Tests", dependencies: ["PKCS11", "SoftCrypto", "COpenSSL", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "HSMSchedulerTests", dependencies: ["HSMScheduler", "PKCS11", "SoftCrypto", "COpenSSL", "TestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "RPCCoreTests", dependencies: ["RPCCore"], swiftSettings: swiftSettings),
        .testTarget(name: "RPCTransportTests", dependencies: ["RPCTransport", "RPCCore", "PersonaProtos"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "PersonaServicesTests", dependencies: ["PersonaServices", "RPCCore", "Observability"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "ArgumentParsingTests", dependencies: ["ArgumentParsing"], swiftSettings: swiftSettings),
        .testTarget(name: "LoadHarnessTests", dependencies: ["LoadHarness"], swiftSettings: swiftSettings),
        .testTarget(name: "PersonaServerTests", dependencies: ["PersonaServer", "PersonaServices"], swiftSettings: swiftSettings),
        .testTarget(name: "KeyRegistryTests", dependencies: ["KeyRegistry", "PKCS11", "SoftCrypto", "TestSupport", "Credentials"], swiftSettings: swiftSettings),
        .testTarget(name: "ObservabilityTests", dependencies: ["Observability"], swiftSettings: swiftSettings),
        .testTarget(name: "CredentialsTests", dependencies: ["Credentials", "SoftCrypto", "TestSupport"],
                    swiftSettings: swiftSettings),
        // A real server (in process, or personahsmd as a child) on loopback with a real token.
        .testTarget(name: "ServiceEndToEndTests",
                    dependencies: ["PersonaServer", "PersonaServices", "PersonaClient", "PersonaProtos", "RPCCore",
                                   "RPCTransport", "SoftCrypto", "Credentials", "AuditLog", "KeyRegistry", "PKCS11",
                                   "Observability", "TestSupport", "Custody"],
                    swiftSettings: swiftSettings),
        // Batch issuance end to end against a real personahsmd --dev subprocess (needs `swift build` first).
        .testTarget(name: "IssuanceTests", dependencies: ["PersonaClient", "Credentials", "SoftCrypto", "TestSupport"],
                    swiftSettings: swiftSettings),
        // Hostile input against personahsmd as a child process (hand-made frames from Tests/interop/breaker_*.py).
        .testTarget(name: "AbuseTests", dependencies: ["TestSupport", "personahsmd", "personahsm"],
                    swiftSettings: swiftSettings),
        // The quorum ledger and bundle format against a real SoftHSM2 token, without a server.
        .testTarget(name: "CustodyTests", dependencies: ["Custody", "KeyRegistry", "PKCS11", "SoftCrypto", "TestSupport"],
                    swiftSettings: swiftSettings),
        // HSM node and server-instance failover against real personahsmd processes on the dev topology,
        // nodes reached through libp11fault.so (needs `swift build` first).
        .testTarget(name: "HighAvailabilityTests",
                    dependencies: ["TestSupport", "PersonaServer", "PersonaClient", "PersonaProtos", "RPCCore", "SoftCrypto",
                                   "KeyRegistry", "PKCS11", "PersonaServices", "personahsmd"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "AuditLogTests", dependencies: ["AuditLog", "SoftCrypto", "COpenSSL"],
                    swiftSettings: swiftSettings),
    ]
)
