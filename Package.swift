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
        // One shim target for macros, variadics and headers Glibc does not export.
        .target(name: "CShims", dependencies: ["COpenSSL", "CPKCS11"], path: "Sources/C/CShims"),
        // protoc-c output for Protos/, committed (make generate).
        .target(name: "CPersonaProtos", dependencies: ["CProtobufC"], path: "Sources/C/CPersonaProtos"),
        // protoc-c output for google/protobuf/descriptor.proto: the code generator reads schemas with it.
        .target(name: "CProtoDescriptor", dependencies: ["CProtobufC"], path: "Tools/CProtoDescriptor"),
        // Fault- and latency-injecting PKCS#11 module (built as libp11fault.so).
        .target(name: "CP11Fault", dependencies: ["CPKCS11"], path: "Sources/C/CP11Fault"),

        // ── Swift layers, bottom up ────────────────────────────────────────────
        .target(name: "SoftCrypto", dependencies: ["COpenSSL", "CShims"], swiftSettings: swiftSettings),
        .target(name: "PKCS11", dependencies: ["CPKCS11", "CShims"], swiftSettings: swiftSettings),
        .target(name: "HSMScheduler", dependencies: ["PKCS11", "SoftCrypto"], swiftSettings: swiftSettings),
        .target(name: "RPCCore", swiftSettings: swiftSettings),
        .target(name: "RPCTransport", dependencies: ["RPCCore", "COpenSSL", "CShims"],
                swiftSettings: swiftSettings),
        .target(name: "PersonaProtos", dependencies: ["RPCCore", "CPersonaProtos", "CProtobufC"],
                swiftSettings: swiftSettings),
        .target(name: "Credentials", dependencies: ["SoftCrypto"], swiftSettings: swiftSettings),
        .target(name: "KeyRegistry", dependencies: ["HSMScheduler", "PKCS11", "SoftCrypto", "Credentials"],
                swiftSettings: swiftSettings),
        .target(name: "AuditLog", dependencies: ["SoftCrypto"], swiftSettings: swiftSettings),
        .target(name: "PersonaServices",
                dependencies: ["PersonaProtos", "RPCCore", "KeyRegistry", "AuditLog", "HSMScheduler",
                               "SoftCrypto", "Credentials"],
                swiftSettings: swiftSettings),
        .target(name: "PersonaClient", dependencies: ["PersonaProtos", "RPCCore", "RPCTransport", "Credentials"],
                swiftSettings: swiftSettings),

        // ── Executables ────────────────────────────────────────────────────────
        .executableTarget(name: "personahsmd",
                          dependencies: ["PersonaServices", "RPCTransport", "HSMScheduler", "PKCS11"],
                          swiftSettings: swiftSettings),
        .executableTarget(name: "personahsm", dependencies: ["PersonaClient", "Credentials", "AuditLog"],
                          swiftSettings: swiftSettings),
        .executableTarget(name: "personahsm-load", dependencies: ["PersonaClient"],
                          swiftSettings: swiftSettings),
        .executableTarget(name: "rpc-bench", dependencies: ["RPCTransport", "RPCCore"],
                          swiftSettings: swiftSettings),
        // libFuzzer targets (make fuzz); ordinary builds link a replay main.
        .executableTarget(name: "fuzz-frames", dependencies: ["RPCCore"], path: "Tests/Fuzz/fuzz-frames",
                          swiftSettings: swiftSettings),
        .executableTarget(name: "fuzz-messages", dependencies: ["CPersonaProtos", "CProtobufC"],
                          path: "Tests/Fuzz/fuzz-messages", swiftSettings: swiftSettings),

        // ── Code generator (Tools/) ────────────────────────────────────────────
        .target(name: "ProtoGenKit", dependencies: ["CProtoDescriptor", "CProtobufC"], path: "Tools/ProtoGenKit",
                swiftSettings: swiftSettings),
        .executableTarget(name: "protogen-swift", dependencies: ["ProtoGenKit"], path: "Tools/protogen-swift",
                          swiftSettings: swiftSettings),

        // ── Tests ──────────────────────────────────────────────────────────────
        .testTarget(name: "ProtoGenKitTests", dependencies: ["ProtoGenKit"], path: "Tests/ProtoGenKitTests",
                    resources: [.copy("Golden")], swiftSettings: swiftSettings),
        .testTarget(name: "PersonaProtosTests", dependencies: ["PersonaProtos"], swiftSettings: swiftSettings),
        .testTarget(name: "SoftCryptoTests", dependencies: ["SoftCrypto"], swiftSettings: swiftSettings),
        .testTarget(name: "PKCS11Tests", dependencies: ["PKCS11", "SoftCrypto"], swiftSettings: swiftSettings),
        .testTarget(name: "HSMSchedulerTests", dependencies: ["HSMScheduler", "PKCS11", "SoftCrypto"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "RPCCoreTests", dependencies: ["RPCCore"], swiftSettings: swiftSettings),
        .testTarget(name: "RPCTransportTests", dependencies: ["RPCTransport", "RPCCore", "PersonaProtos"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "CredentialsTests", dependencies: ["Credentials", "SoftCrypto"],
                    swiftSettings: swiftSettings),
    ]
)
