// The generator's entry point: selects the files to generate from a schema, builds and checks
// the plans for the whole module, then renders one Swift file per .proto plus the runtime
// support file. protogen-swift and the golden tests both go through here.

/// What the generated code is compiled into.
public struct GeneratorOptions: Sendable {
    /// The C target holding protoc-c's output for the same files, e.g. `CPersonaProtos`.
    public var cModule: String
    /// The Swift module the generated files belong to, e.g. `PersonaProtos`.
    public var moduleName: String

    public init(cModule: String, moduleName: String) {
        self.cModule = cModule
        self.moduleName = moduleName
    }
}

/// One output file.
public struct GeneratedFile: Sendable, Equatable {
    /// File name within the output directory.
    public let name: String
    public let contents: String

    public init(name: String, contents: String) {
        self.name = name
        self.contents = contents
    }
}

/// Generates Swift for the files of a schema.
public struct SwiftGenerator {
    public let schema: Schema
    public let options: GeneratorOptions

    public init(schema: Schema, options: GeneratorOptions) {
        self.schema = schema
        self.options = options
    }

    /// The Swift file name for a .proto path: `persona/hsm/v1/keys.proto` → `persona_hsm_v1_keys.pb.swift`.
    public static func outputName(forProto path: String) -> String {
        let stem = path.hasSuffix(".proto") ? String(path.dropLast(".proto".count)) : path
        return stem.map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined() + ".pb.swift"
    }

    /// One Swift file per requested .proto plus the runtime support file, sorted by name.
    /// - Parameter fileNames: .proto paths as recorded in the descriptor set; empty means all.
    /// - Throws: ``GeneratorError`` when the schema cannot be generated correctly.
    public func generateModule(files fileNames: [String] = []) throws -> [GeneratedFile] {
        let module = try prepare(fileNames)
        var output = try module.files.map { file in
            let services = module.services.filter { plan in file.services.contains { $0.fullName == plan.decl.fullName } }
            let text = try FileRenderer(file: file, catalog: module.catalog, servicePlans: services, options: options).render()
            return GeneratedFile(name: Self.outputName(forProto: file.name), contents: text)
        }
        output.append(GeneratedFile(name: RuntimeSupportTemplate.fileName, contents: RuntimeSupportTemplate.text + "\n"))
        return output.sorted { $0.name < $1.name }
    }

    /// The test-support file: a deterministic, fully populated sample for every message.
    public func generateTestSupport(files fileNames: [String] = []) throws -> GeneratedFile {
        let module = try prepare(fileNames)
        let text = SampleRenderer(messages: module.messages, moduleName: options.moduleName,
                                  protoFiles: module.files.map(\.name)).render()
        return GeneratedFile(name: SampleRenderer.fileName, contents: text)
    }

    /// The resolved, checked content of the module.
    struct Module {
        let files: [ProtoFile]
        let catalog: TypeCatalog
        /// Every generated message, nested ones included, map entries excluded, in schema order.
        let messages: [MessagePlan]
        let services: [ServicePlan]
    }

    func prepare(_ fileNames: [String]) throws -> Module {
        let files = try fileNames.isEmpty ? schema.files : fileNames.map { name in
            guard let file = schema.file(named: name) else {
                throw GeneratorError(.invalidOptions, "\(name) is not in the descriptor set (it has "
                                         + schema.files.map(\.name).joined(separator: ", ") + ")")
            }
            return file
        }
        let catalog = TypeCatalog(schema: schema)
        var messages: [MessagePlan] = []
        func collect(_ decl: MessageDecl) throws {
            guard !decl.isMapEntry else { return }
            messages.append(try catalog.plan(catalog.message(decl.fullName, referencedBy: "the schema")))
            for nested in decl.messages { try collect(nested) }
        }
        for file in files { for message in file.messages { try collect(message) } }
        let services = try files.flatMap { try $0.services.map { try catalog.plan($0) } }
        try ModuleChecks(files: files, messagePlans: messages, servicePlans: services,
                         reservedModuleNames: [options.moduleName, options.cModule, "CProtobufC"]).run()
        return Module(files: files, catalog: catalog, messages: messages, services: services)
    }
}
