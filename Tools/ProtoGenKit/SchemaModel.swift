// The schema as the generator sees it: plain Swift values read once from a descriptor set, so
// that renderers never touch C and can be tested on hand-built schemas. Names are kept as
// written in the .proto; Swift and C spellings are derived later (SwiftNaming, CNaming).

/// Every file of a descriptor set, in the order protoc wrote them.
public struct Schema: Sendable {
    public var files: [ProtoFile]

    public init(files: [ProtoFile]) { self.files = files }

    /// The file with this path, e.g. `persona/hsm/v1/signing.proto`.
    public func file(named name: String) -> ProtoFile? { files.first { $0.name == name } }
}

/// One .proto file.
public struct ProtoFile: Sendable {
    /// Path as given to protoc, e.g. `persona/hsm/v1/signing.proto`.
    public var name: String
    /// Package, e.g. `persona.hsm.v1` (may be empty).
    public var package: String
    /// `proto3` (the only syntax the generator accepts) or `proto2`.
    public var syntax: String
    public var dependencies: [String]
    public var messages: [MessageDecl]
    public var enums: [EnumDecl]
    public var services: [ServiceDecl]
    /// The comment right above `syntax = ...`, used as the file's description.
    public var comment: String?

    public init(name: String, package: String, syntax: String, dependencies: [String] = [],
                messages: [MessageDecl] = [], enums: [EnumDecl] = [], services: [ServiceDecl] = [],
                comment: String? = nil) {
        self.name = name
        self.package = package
        self.syntax = syntax
        self.dependencies = dependencies
        self.messages = messages
        self.enums = enums
        self.services = services
        self.comment = comment
    }
}

/// A message, possibly nested in another.
public struct MessageDecl: Sendable {
    /// Name as written, e.g. `Inner`.
    public var name: String
    /// Fully qualified without a leading dot, e.g. `kitchen.v1.KitchenSink.Inner`.
    public var fullName: String
    /// Fields in declaration order (oneof members included, see `FieldDecl.oneofIndex`).
    public var fields: [FieldDecl]
    public var oneofs: [OneofDecl]
    public var messages: [MessageDecl]
    public var enums: [EnumDecl]
    /// A synthesized `map<K, V>` entry type (has `key` = 1 and `value` = 2).
    public var isMapEntry: Bool
    public var comment: String?

    public init(name: String, fullName: String, fields: [FieldDecl] = [], oneofs: [OneofDecl] = [],
                messages: [MessageDecl] = [], enums: [EnumDecl] = [], isMapEntry: Bool = false,
                comment: String? = nil) {
        self.name = name
        self.fullName = fullName
        self.fields = fields
        self.oneofs = oneofs
        self.messages = messages
        self.enums = enums
        self.isMapEntry = isMapEntry
        self.comment = comment
    }
}

/// An enum, top-level or nested.
public struct EnumDecl: Sendable {
    public var name: String
    public var fullName: String
    public var values: [EnumValueDecl]
    public var comment: String?

    public init(name: String, fullName: String, values: [EnumValueDecl], comment: String? = nil) {
        self.name = name
        self.fullName = fullName
        self.values = values
        self.comment = comment
    }
}

/// One enum constant.
public struct EnumValueDecl: Sendable {
    /// As written, e.g. `KEY_STATE_ENABLED`.
    public var name: String
    public var number: Int32
    public var comment: String?

    public init(name: String, number: Int32, comment: String? = nil) {
        self.name = name
        self.number = number
        self.comment = comment
    }
}

/// A service and its methods.
public struct ServiceDecl: Sendable {
    public var name: String
    /// e.g. `persona.hsm.v1.SigningService`.
    public var fullName: String
    public var methods: [MethodDecl]
    public var comment: String?

    public init(name: String, fullName: String, methods: [MethodDecl], comment: String? = nil) {
        self.name = name
        self.fullName = fullName
        self.methods = methods
        self.comment = comment
    }
}

/// One RPC of a service.
public struct MethodDecl: Sendable {
    public var name: String
    /// Fully qualified request type, without a leading dot.
    public var inputType: String
    /// Fully qualified response type, without a leading dot.
    public var outputType: String
    public var clientStreaming: Bool
    public var serverStreaming: Bool
    /// `option idempotency_level = NO_SIDE_EFFECTS` or `IDEMPOTENT` was given.
    public var declaredIdempotent: Bool
    public var comment: String?

    public init(name: String, inputType: String, outputType: String, clientStreaming: Bool = false,
                serverStreaming: Bool = false, declaredIdempotent: Bool = false, comment: String? = nil) {
        self.name = name
        self.inputType = inputType
        self.outputType = outputType
        self.clientStreaming = clientStreaming
        self.serverStreaming = serverStreaming
        self.declaredIdempotent = declaredIdempotent
        self.comment = comment
    }
}
