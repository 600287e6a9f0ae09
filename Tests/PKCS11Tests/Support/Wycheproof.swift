// Loads Project Wycheproof vector files from ../shared/testvectors (never copied into the repo).

import Foundation

enum Wycheproof {
    static func load(_ name: String) throws -> [String: Any] {
        let url = TestHSM.packageRoot.appendingPathComponent("../shared/testvectors/wycheproof/\(name)").standardizedFileURL
        let data = try Data(contentsOf: url)
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    static func groups(_ file: [String: Any]) -> [[String: Any]] { file["testGroups"] as? [[String: Any]] ?? [] }
    static func tests(_ group: [String: Any]) -> [[String: Any]] { group["tests"] as? [[String: Any]] ?? [] }
}
