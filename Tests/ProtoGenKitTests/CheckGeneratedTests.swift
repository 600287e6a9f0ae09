// `make check-generated` must catch hand edits: a copy of the tree's generated code checks
// clean, and the same copy with one edited file fails. Runs the real script with the
// protogen-swift this test build produced (so it does not start a nested `swift build`).

import Foundation
import ProtoTestSupport
import Testing

@Suite("check-generated.sh")
struct CheckGeneratedTests {
    static let generatedPaths = [
        "Sources/C/CPersonaProtos", "Sources/PersonaProtos/Generated", "Tests/PersonaProtosTests/Generated",
        "Tests/ProtoGenKitTests/Fixtures", "Tests/ProtoGenKitTests/Golden", "Tests/Fixtures/CKitchenSinkProtos",
    ]

    /// protogen-swift from the same build as this test binary.
    static var protogen: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("protogen-swift")
    }

    @Test("passes on an unedited copy and fails after editing one generated file")
    func detectsEdits() throws {
        let protogen = Self.protogen
        try #require(FileManager.default.isExecutableFile(atPath: protogen.path),
                     "protogen-swift not built next to the test binary at \(protogen.path)")
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("check-generated-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: copy) }
        for path in Self.generatedPaths {
            let target = copy.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: ExternalTool.packageRoot.appendingPathComponent(path), to: target)
        }
        let environment = ["GENERATED_ROOT": copy.path, "PROTOGEN": protogen.path]

        let clean = try ExternalTool.run("Tools/check-generated.sh", [], environment: environment)
        #expect(clean.status == 0, "unedited copy failed: \(clean.stderr)")
        #expect(clean.stdoutText.contains("check-generated: generated code is current"))

        let edited = copy.appendingPathComponent("Sources/PersonaProtos/Generated/persona_hsm_v1_signing.pb.swift")
        var text = try String(contentsOf: edited, encoding: .utf8)
        text = text.replacingOccurrences(of: "public var keyName: String", with: "public var keyName: String // edited")
        try text.write(to: edited, atomically: true, encoding: .utf8)
        let dirty = try ExternalTool.run("Tools/check-generated.sh", [], environment: environment)
        #expect(dirty.status != 0)
        #expect(dirty.stderr.contains("stale or was edited by hand"))
        #expect(dirty.stdoutText.contains("// edited"), "the diff should show the edit")
    }
}
