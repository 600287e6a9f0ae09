// VCDM property rules an issuer can check without JSON-LD processing: the typed "service"
// properties (credentialStatus, credentialSchema, evidence, refreshService, termsOfUse) must
// carry a `type` and URL ids (VCDM 2.0 §4.10–4.13, §5.4–5.6; VCDM 1.1 §4.9, §5.3–5.6), and the
// human-readable `name`/`description` (of the credential and of an issuer object) must be
// strings or language value objects (`@value` with optional `@language`/`@direction`, VCDM 2.0
// §4.3, §11.1). Issuing a credential that breaks these would hand verifiers a document they must
// reject.

extension CredentialShape {
    /// (property, whether `id` is required) per data model version.
    static func typedProperties(_ version: VCVersion) -> [(String, Bool)] {
        [("credentialStatus", version == .v1_1), ("credentialSchema", true), ("evidence", false),
         ("refreshService", version == .v1_1), ("termsOfUse", false)]
    }

    static func checkProperties(_ object: JSONObject, version: VCVersion, into problems: inout [CredentialShapeProblem]) {
        for (property, idRequired) in typedProperties(version) {
            guard let value = object[property] else { continue }
            let entries = value.arrayValue ?? [value]
            for entry in entries {
                guard let item = entry.objectValue else {
                    problems.append(.init("\(property).invalid", "\(property) must be an object or an array of objects"))
                    break
                }
                let types = item["type"].map { $0.arrayValue ?? [$0] } ?? []
                if types.isEmpty || types.contains(where: { $0.stringValue?.isEmpty ?? true }) {
                    problems.append(.init("\(property).type", "every \(property) needs a type made of strings"))
                }
                if let id = item["id"] {
                    if !isURL(id.stringValue) { problems.append(.init("\(property).id", "\(property).id must be a URL string")) }
                } else if idRequired {
                    problems.append(.init("\(property).id", "\(property) needs an id"))
                }
            }
        }
        checkLanguageValues(object, path: "", into: &problems)
        if let issuer = object["issuer"]?.objectValue { checkLanguageValues(issuer, path: "issuer.", into: &problems) }
    }

    /// `name` and `description`: a string, a language value object, or an array of those.
    private static func checkLanguageValues(_ object: JSONObject, path: String, into problems: inout [CredentialShapeProblem]) {
        for member in ["name", "description"] {
            guard let value = object[member] else { continue }
            let entries = value.arrayValue ?? [value]
            let allowed = ["@value", "@language", "@direction"]
            let valid = !entries.isEmpty && entries.allSatisfy { entry in
                if entry.stringValue != nil { return true }
                guard let item = entry.objectValue, item["@value"]?.stringValue != nil else { return false }
                return item.members.allSatisfy { member in
                    allowed.contains { scalarsEqual($0, member.key) } && member.value.stringValue != nil
                }
            }
            if !valid {
                problems.append(.init("\(path)\(member).invalid",
                                      "\(path)\(member) must be a string or language value objects (@value, @language, @direction)"))
            }
        }
    }
}
