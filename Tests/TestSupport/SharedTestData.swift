// Tests read external vectors from the read-only shared folder next to the package
// (`../shared/...`), never from copies inside the repository. This finds that folder from the
// source location, so tests work from any working directory.

import Foundation

/// Paths into the package and the shared read-only test data.
public enum SharedTestData {
    /// The package root (the folder holding Package.swift).
    public static let packageRoot: URL = {
        // This file is <root>/Tests/TestSupport/SharedTestData.swift.
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }()

    /// `<root>/../shared`.
    public static let sharedRoot: URL = packageRoot.deletingLastPathComponent().appendingPathComponent("shared")

    /// A file under `../shared`, by relative path such as `testvectors/wycheproof/ed25519_test.json`.
    public static func url(_ relativePath: String) -> URL {
        sharedRoot.appendingPathComponent(relativePath)
    }

    /// The bytes of a file under `../shared`.
    public static func bytes(_ relativePath: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url(relativePath)))
    }

    /// The names of the entries in a folder under `../shared`, sorted.
    public static func listing(_ relativePath: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url(relativePath).path).sorted()
    }
}
