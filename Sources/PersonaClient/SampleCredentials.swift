// Makes the demo's input: unsigned W3C credentials of several realistic kinds, deterministic for
// a seed so that runs are comparable. A small share is deliberately malformed so the demo shows
// the issuance job's per-document rejects as well as its successes.

import Foundation

/// Generates unsigned Verifiable Credential documents (VCDM 2.0, a few 1.1).
public struct SampleCredentialFactory: Sendable {
    public var seed: UInt64
    /// One document in this many is malformed on purpose (0 disables).
    public var malformedEvery: Int

    public init(seed: UInt64 = 2026, malformedEvery: Int = 200) {
        self.seed = seed
        self.malformedEvery = malformedEvery
    }

    static let givenNames = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia",
                             "Leslie", "Margaret", "Tim", "Shafi", "Whitfield", "Ron", "Adi", "Len", "Silvio"]
    static let familyNames = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson",
                              "Perlman", "Lamport", "Hamilton", "Berners-Lee", "Goldwasser", "Diffie", "Rivest",
                              "Shamir", "Adleman", "Micali"]
    static let degrees = ["Bachelor of Science", "Master of Science", "Doctor of Philosophy", "Bachelor of Arts"]
    static let fields = ["Computer Science", "Mathematics", "Cryptography", "Physics", "Linguistics", "Économie"]
    static let employers = ["PersonaPass Ltd", "Zürich Ledger AG", "Nordlicht Systems", "São Paulo Labs"]

    /// The `index`-th document, as JSON text (one line).
    public func document(_ index: Int) -> String {
        var random = SplitMix64(seed: seed &+ UInt64(index) &* 0x9E37_79B9)
        let given = Self.givenNames[Int(random.next() % UInt64(Self.givenNames.count))]
        let family = Self.familyNames[Int(random.next() % UInt64(Self.familyNames.count))]
        let subjectDID = "did:example:holder-\(String(random.next() % 1_000_000_000, radix: 36))"
        let id = "urn:uuid:" + Self.uuid(&random)
        let kind = Int(random.next() % 4)
        let subject: [String: Any]
        let type: String
        switch kind {
        case 0:
            type = "UniversityDegreeCredential"
            subject = ["id": subjectDID, "name": "\(given) \(family)",
                       "degree": ["type": Self.degrees[Int(random.next() % 4)],
                                  "field": Self.fields[Int(random.next() % 6)]],
                       "gpa": Double(200 + random.next() % 201) / 100]
        case 1:
            type = "EmployeeIDCredential"
            subject = ["id": subjectDID, "givenName": given, "familyName": family,
                       "employer": Self.employers[Int(random.next() % 4)],
                       "employeeNumber": Int(random.next() % 900_000) + 100_000]
        case 2:
            type = "MembershipCredential"
            subject = ["id": subjectDID, "memberName": "\(given) \(family)",
                       "tier": ["bronze", "silver", "gold", "platinum"][Int(random.next() % 4)],
                       "since": 1990 + Int(random.next() % 36)]
        default:
            type = "AgeOver18Credential"
            subject = ["id": subjectDID, "ageOver": 18, "verifiedBy": "document check 🛂"]
        }
        var document: [String: Any] = [
            "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
            "id": id,
            "type": ["VerifiableCredential", type],
            "credentialSubject": subject,
            "name": "\(type) for \(given) \(family)",
        ]
        if malformedEvery > 0, index % malformedEvery == malformedEvery - 1 {
            // Alternate the two defects the issuer's shape check must catch.
            if (index / malformedEvery) % 2 == 0 {
                document["credentialSubject"] = [String: Any]()
            } else {
                document["type"] = [type]
            }
        }
        let data = try! JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    /// Writes `count` documents as JSON Lines to `path`.
    public func writeJSONLines(count: Int, to path: String) throws {
        var text = ""
        text.reserveCapacity(count * 420)
        for index in 0..<count {
            text += document(index)
            text += "\n"
        }
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    static func uuid(_ random: inout SplitMix64) -> String {
        var bytes = (0..<16).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let characters = Array(hex)
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }.joined(separator: "-")
    }
}

/// Small deterministic PRNG (SplitMix64) for reproducible sample data.
public struct SplitMix64: Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
