// Fields and oneofs of the schema model, kept apart from the containers because field kinds are
// what the codec renderers switch on.

/// The wire type of a field as declared (`FieldDescriptorProto.Type`).
public enum FieldType: Sendable, Hashable {
    case double, float, int64, uint64, int32, fixed64, fixed32, bool, string, bytes
    case uint32, sfixed32, sfixed64, sint32, sint64
    /// Fully qualified enum name.
    case enumeration(String)
    /// Fully qualified message name.
    case message(String)
    /// proto2 groups: never supported, kept so the loader can name them in its error.
    case group(String)
}

/// Singular or repeated (`map` fields are repeated fields of a map-entry message).
public enum FieldLabel: Sendable, Hashable {
    case singular
    case repeated
}

/// One field of a message.
public struct FieldDecl: Sendable {
    /// As written, e.g. `key_name`.
    public var name: String
    public var number: Int32
    public var label: FieldLabel
    public var type: FieldType
    /// Index into the message's `oneofs` when the field is a oneof member.
    public var oneofIndex: Int?
    /// proto3 `optional` (protobuf-c 1.4 cannot express it; the generator rejects it).
    public var isProto3Optional: Bool
    public var comment: String?

    public init(name: String, number: Int32, label: FieldLabel, type: FieldType, oneofIndex: Int? = nil,
                isProto3Optional: Bool = false, comment: String? = nil) {
        self.name = name
        self.number = number
        self.label = label
        self.type = type
        self.oneofIndex = oneofIndex
        self.isProto3Optional = isProto3Optional
        self.comment = comment
    }
}

/// A oneof group; its members are the fields whose `oneofIndex` points here.
public struct OneofDecl: Sendable {
    public var name: String
    public var comment: String?

    public init(name: String, comment: String? = nil) {
        self.name = name
        self.comment = comment
    }
}
