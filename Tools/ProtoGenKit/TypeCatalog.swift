// Every message and enum of the schema by fully qualified name, with the Swift and C names
// generated code uses for it. Renderers resolve field and method types here, so a reference to
// a type outside the generated files fails generation with the names of both ends.

/// A message of the schema and its generated names.
struct MessageInfo {
    let decl: MessageDecl
    /// The .proto file declaring it.
    let file: String
    /// Swift type path from module scope, e.g. `KitchenSink.Inner`.
    let swiftName: String
    /// protoc-c struct type, e.g. `Persona__Hsm__V1__SignRequest`.
    let cType: String
    /// protoc-c function prefix, e.g. `persona__hsm__v1__sign_request`.
    let cPrefix: String
    /// Only top-level messages get `__pack`/`__unpack` functions from protoc-c.
    let isTopLevel: Bool
}

/// An enum of the schema and its generated names.
struct EnumInfo {
    let decl: EnumDecl
    let file: String
    let swiftName: String
    /// Swift constant names, parallel to `decl.values`.
    let caseNames: [String]

    /// The constant for proto3's default (the value 0, always the first in proto3).
    var defaultCaseName: String {
        let index = decl.values.firstIndex { $0.number == 0 } ?? 0
        return caseNames.isEmpty ? "init(rawValue: 0)" : caseNames[index]
    }
}

/// Lookup of messages and enums by full name.
struct TypeCatalog {
    private(set) var messages: [String: MessageInfo] = [:]
    private(set) var enums: [String: EnumInfo] = [:]

    init(schema: Schema) {
        for file in schema.files {
            for message in file.messages { add(message, file: file.name, swiftScope: nil) }
            for decl in file.enums { add(decl, file: file.name, swiftScope: nil) }
        }
    }

    private mutating func add(_ message: MessageDecl, file: String, swiftScope: String?) {
        let swiftName = swiftScope.map { "\($0).\(message.name)" } ?? message.name
        messages[message.fullName] = MessageInfo(
            decl: message, file: file, swiftName: swiftName,
            cType: CNaming.typeName(fullName: message.fullName),
            cPrefix: CNaming.functionPrefix(fullName: message.fullName), isTopLevel: swiftScope == nil)
        for nested in message.messages { add(nested, file: file, swiftScope: swiftName) }
        for nested in message.enums { add(nested, file: file, swiftScope: swiftName) }
    }

    private mutating func add(_ decl: EnumDecl, file: String, swiftScope: String?) {
        let swiftName = swiftScope.map { "\($0).\(decl.name)" } ?? decl.name
        enums[decl.fullName] = EnumInfo(decl: decl, file: file, swiftName: swiftName,
                                        caseNames: Self.enumCaseNames(decl))
    }

    /// The message called `fullName`, or an error naming who referenced it.
    func message(_ fullName: String, referencedBy user: String) throws -> MessageInfo {
        guard let info = messages[fullName] else {
            throw GeneratorError(.unresolvedReference,
                                 "\(user) refers to message \(fullName), which is not in the descriptor set")
        }
        return info
    }

    /// The enum called `fullName`, or an error naming who referenced it.
    func enumeration(_ fullName: String, referencedBy user: String) throws -> EnumInfo {
        guard let info = enums[fullName] else {
            throw GeneratorError(.unresolvedReference,
                                 "\(user) refers to enum \(fullName), which is not in the descriptor set")
        }
        return info
    }

    /// Swift constant names for an enum's values: the enum-name prefix is stripped unless that
    /// makes two names equal; names that clash with the generated members get a trailing `_`.
    static func enumCaseNames(_ decl: EnumDecl) -> [String] {
        let stripped = decl.values.map { SwiftNaming.enumCase($0.name, enumName: decl.name) }
        let unstripped = decl.values.map { SwiftNaming.enumCase($0.name, enumName: "") }
        // Aliases (same number) may share nothing but their number; distinct names are required.
        let names = Set(stripped).count == stripped.count ? stripped : unstripped
        return names.map { name in
            let safe = reservedEnumMembers.contains(name) ? name + "_" : name
            return SwiftNaming.escaped(safe)
        }
    }

    private static let reservedEnumMembers: Set<String> = [
        "rawValue", "allCases", "description", "init", "self", "Type", "Protocol", "hashValue",
    ]
}
