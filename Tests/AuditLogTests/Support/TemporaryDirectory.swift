// A fresh directory per test under /tmp (a real disk here, so fdatasync is real). Tests remove it
// with `defer { directory.remove() }`, which also keeps it alive to the end of the test (a deinit
// could run as soon as the last use, while the log still writes there). Suites run concurrently,
// so nothing is shared between tests.

import Foundation

/// A directory that exists for the lifetime of the value's owner.
final class TemporaryDirectory: Sendable {
    let path: String

    init(_ label: String = "audit") throws {
        path = NSTemporaryDirectory() + "\(label)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Deletes the directory and everything in it.
    func remove() { try? FileManager.default.removeItem(atPath: path) }

    /// A path inside the directory.
    func file(_ name: String) -> String { "\(path)/\(name)" }

    /// Names of the directory's entries.
    func entries() -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] }
}
