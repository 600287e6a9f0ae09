// The structural check the issuance job runs before signing anything, and the verifier runs on
// what it verified. It is deliberately not a JSON-LD processor: it checks the rules an issuer can
// check without fetching contexts — base @context first, `VerifiableCredential` in `type`, a
// non-empty `credentialSubject`, URL-shaped ids and issuer, well-formed dates in order. Like
// swift-certificates' policies it returns findings instead of throwing, so callers can report
// every problem of a document at once.

/// A rule a document broke.
public struct CredentialShapeProblem: Sendable, Hashable, CustomStringConvertible {
    /// Stable rule name, e.g. `context.base`, `type.missingVerifiableCredential`.
    public let rule: String
    public let message: String

    init(_ rule: String, _ message: String) {
        self.rule = rule
        self.message = message
    }

    public var description: String { "\(rule): \(message)" }
}

/// The outcome of a shape check.
public struct CredentialShapeReport: Sendable, CustomStringConvertible {
    /// The data model version, when the base context identifies one.
    public let version: VCVersion?
    /// Every problem found (empty when acceptable).
    public let problems: [CredentialShapeProblem]

    /// Whether the document passed.
    public var isAcceptable: Bool { problems.isEmpty && version != nil }

    public var description: String {
        isAcceptable ? "acceptable \(version!)" : problems.map(\.description).joined(separator: "; ")
    }
}

/// Structural checks for verifiable credentials (VCDM 1.1 and 2.0).
public enum CredentialShape {
    /// What must already be present.
    public enum Stage: Sendable {
        /// Input to issuance: `issuer` and the issuance date may still be missing (they are filled).
        case input
        /// An issued credential: `issuer` required; for 1.1 also `issuanceDate`.
        case issued
    }

    /// Checks `document` and returns every problem found.
    public static func check(_ document: JSONValue, stage: Stage = .input) -> CredentialShapeReport {
        guard let object = document.objectValue else {
            return CredentialShapeReport(version: nil, problems: [.init("document.notObject", "a credential is a JSON object")])
        }
        var problems: [CredentialShapeProblem] = []
        let version = checkContext(object["@context"], into: &problems)
        checkType(object["type"], into: &problems)
        checkSubject(object["credentialSubject"], into: &problems)
        checkIssuer(object["issuer"], required: stage == .issued, into: &problems)
        if let id = object["id"], !isURL(id.stringValue) {
            problems.append(.init("id.notURL", "the credential id must be a URL string"))
        }
        if let version {
            checkDates(object, version: version, stage: stage, into: &problems)
            checkProperties(object, version: version, into: &problems)
        }
        return CredentialShapeReport(version: version, problems: problems)
    }

    private static func checkContext(_ context: JSONValue?, into problems: inout [CredentialShapeProblem]) -> VCVersion? {
        guard let context else {
            problems.append(.init("context.missing", "@context is required"))
            return nil
        }
        // JSON-LD allows a single string where a set is expected.
        let entries = context.arrayValue ?? [context]
        guard let first = entries.first?.stringValue, let version = VCVersion(baseContext: first) else {
            problems.append(.init("context.base", "@context must start with \(VCVersion.v2_0.baseContext) or \(VCVersion.v1_1.baseContext)"))
            return nil
        }
        for (index, entry) in entries.enumerated().dropFirst() {
            if let url = entry.stringValue {
                if !isURL(url) { problems.append(.init("context.entry", "@context[\(index)] is not a URL")) }
            } else if entry.objectValue == nil {
                problems.append(.init("context.entry", "@context[\(index)] must be a URL or an object"))
            }
        }
        return version
    }

    private static func checkType(_ type: JSONValue?, into problems: inout [CredentialShapeProblem]) {
        guard let type else {
            problems.append(.init("type.missing", "type is required"))
            return
        }
        let entries = type.arrayValue ?? [type]
        let names = entries.compactMap(\.stringValue)
        guard names.count == entries.count, !names.isEmpty else {
            problems.append(.init("type.invalid", "type must be a string or an array of strings"))
            return
        }
        if !names.contains(where: { scalarsEqual($0, "VerifiableCredential") }) {
            problems.append(.init("type.missingVerifiableCredential", "type must include VerifiableCredential"))
        }
    }

    private static func checkSubject(_ subject: JSONValue?, into problems: inout [CredentialShapeProblem]) {
        guard let subject else {
            problems.append(.init("credentialSubject.missing", "credentialSubject is required"))
            return
        }
        let entries = subject.arrayValue ?? [subject]
        guard !entries.isEmpty else {
            problems.append(.init("credentialSubject.empty", "credentialSubject must not be empty"))
            return
        }
        for entry in entries {
            guard let object = entry.objectValue else {
                problems.append(.init("credentialSubject.invalid", "credentialSubject must be an object or an array of objects"))
                return
            }
            if object.isEmpty {
                problems.append(.init("credentialSubject.empty", "a credentialSubject must have at least one claim"))
                return
            }
            if let id = object["id"], !isURL(id.stringValue) {
                problems.append(.init("credentialSubject.id", "credentialSubject.id must be a URL string"))
            }
        }
    }

    private static func checkIssuer(_ issuer: JSONValue?, required: Bool, into problems: inout [CredentialShapeProblem]) {
        guard let issuer else {
            if required { problems.append(.init("issuer.missing", "issuer is required")) }
            return
        }
        if let url = issuer.stringValue {
            if !isURL(url) { problems.append(.init("issuer.notURL", "issuer must be a URL")) }
        } else if let object = issuer.objectValue {
            if let id = object["id"] {
                if !isURL(id.stringValue) { problems.append(.init("issuer.notURL", "issuer.id must be a URL string")) }
            } else if required {
                problems.append(.init("issuer.missing", "issuer.id is required"))
            }
        } else {
            problems.append(.init("issuer.invalid", "issuer must be a URL or an object with an id"))
        }
    }

    private static func checkDates(_ object: JSONObject, version: VCVersion, stage: Stage,
                                   into problems: inout [CredentialShapeProblem]) {
        var from: XSDDateTime? = nil, until: XSDDateTime? = nil
        for (member, isStart) in [(version.validFromMember, true), (version.validUntilMember, false)] {
            guard let value = object[member] else {
                if isStart, version == .v1_1, stage == .issued {
                    problems.append(.init("issuanceDate.missing", "VCDM 1.1 requires issuanceDate"))
                }
                continue
            }
            guard let text = value.stringValue, let date = try? XSDDateTime(text) else {
                problems.append(.init("\(member).invalid", "\(member) must be an XML Schema dateTime"))
                continue
            }
            // VCDM 2.0 requires dateTimeStamp (with a timezone).
            if version == .v2_0, !date.hasTimezone {
                problems.append(.init("\(member).noTimezone", "\(member) must include a timezone (dateTimeStamp)"))
            }
            if isStart { from = date } else { until = date }
        }
        if let from, let until, until.epochSeconds < from.epochSeconds {
            problems.append(.init("validity.order", "\(version.validUntilMember) is before \(version.validFromMember)"))
        }
    }

    /// An absolute URL/URI: `scheme:rest`, scheme = ALPHA *(ALPHA / DIGIT / + - .), rest non-empty
    /// and free of spaces, controls and the characters RFC 3986 never allows.
    static func isURL(_ text: String?) -> Bool {
        guard let text else { return false }
        let bytes = Array(text.utf8)
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), colon > 0, colon < bytes.count - 1 else { return false }
        func isAlpha(_ b: UInt8) -> Bool { (b | 0x20) >= UInt8(ascii: "a") && (b | 0x20) <= UInt8(ascii: "z") }
        guard isAlpha(bytes[0]) else { return false }
        for byte in bytes[1..<colon] where !(isAlpha(byte) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2B || byte == 0x2D || byte == 0x2E) {
            return false
        }
        return !bytes[(colon + 1)...].contains { byte in
            switch byte {
            case 0..<0x21, 0x7F, UInt8(ascii: "\""), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "\\"),
                 UInt8(ascii: "^"), UInt8(ascii: "`"), UInt8(ascii: "{"), UInt8(ascii: "|"), UInt8(ascii: "}"):
                return true
            default:
                return false
            }
        }
    }
}
