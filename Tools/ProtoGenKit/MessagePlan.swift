// The resolved shape of one message as the renderers need it: each field's Swift property,
// Swift type, default, C member and storage (singular, repeated, map, oneof member). Building it
// is where per-message naming conflicts are detected.

/// The kind of one value (a singular field, an array element, a map key or value).
enum ValueShape {
    /// A number copied as is between Swift and C (the C type matches the Swift one).
    case number(swiftType: String)
    case bool
    case string
    case bytes
    case enumeration(EnumInfo)
    case message(MessageInfo)

    var swiftType: String {
        switch self {
        case .number(let swiftType): swiftType
        case .bool: "Bool"
        case .string: "String"
        case .bytes: "[UInt8]"
        case .enumeration(let info): info.swiftName
        case .message(let info): info.swiftName
        }
    }

    /// The proto3 default as a Swift expression (messages have none: they are optional).
    var defaultValue: String {
        switch self {
        case .number: "0"
        case .bool: "false"
        case .string: "\"\""
        case .bytes: "[]"
        case .enumeration(let info): "\(info.swiftName).\(info.defaultCaseName)"
        case .message(let info): "\(info.swiftName)()"
        }
    }
}

/// How a field is stored.
enum FieldStorage {
    case singular(ValueShape)
    case repeated(ValueShape)
    case map(key: ValueShape, value: ValueShape, entry: MessageInfo)
}

/// One non-oneof field, or one member of a oneof.
struct FieldPlan {
    let decl: FieldDecl
    /// Swift property (or oneof case) name, escaped when it is a keyword.
    let swiftName: String
    /// protoc-c struct member.
    let cMember: String
    let storage: FieldStorage

    /// The element count member protoc-c pairs with repeated and map fields.
    var cCountMember: String { "n_" + cMember }

    var swiftType: String {
        switch storage {
        case .singular(.message(let info)): "\(info.swiftName)?"
        case .singular(let shape): shape.swiftType
        case .repeated(let shape): "[\(shape.swiftType)]"
        case .map(let key, let value, _): "[\(key.swiftType): \(value.swiftType)]"
        }
    }

    var defaultValue: String {
        switch storage {
        case .singular(.message): "nil"
        case .singular(let shape): shape.defaultValue
        case .repeated: "[]"
        case .map: "[:]"
        }
    }
}

/// A oneof: an optional Swift enum with one case per member field.
struct OneofPlan {
    let decl: OneofDecl
    /// The Swift property, e.g. `input`.
    let swiftName: String
    /// The nested Swift enum, e.g. `Input`.
    let typeName: String
    /// protoc-c's `<oneof>_case` member.
    let cCaseMember: String
    let members: [FieldPlan]
}

/// A field or a oneof, in declaration order.
enum MemberPlan {
    case field(FieldPlan)
    case oneof(OneofPlan)

    var swiftName: String {
        switch self {
        case .field(let field): field.swiftName
        case .oneof(let oneof): oneof.swiftName
        }
    }

    var swiftType: String {
        switch self {
        case .field(let field): field.swiftType
        case .oneof(let oneof): "\(oneof.typeName)?"
        }
    }

    var defaultValue: String {
        switch self {
        case .field(let field): field.defaultValue
        case .oneof: "nil"
        }
    }
}

/// Everything the renderers need about one message.
struct MessagePlan {
    let info: MessageInfo
    let members: [MemberPlan]
    /// Nested messages that become nested Swift types (map entries excluded).
    let nestedMessages: [MessageInfo]
    let nestedEnums: [EnumInfo]

    var swiftName: String { info.swiftName }
    var protoName: String { info.decl.fullName }
}
