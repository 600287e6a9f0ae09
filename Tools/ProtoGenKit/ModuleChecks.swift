// Checks that span the whole generated module rather than one message: proto3 only, every
// referenced type generated in the same module, unique short Swift type names across packages,
// no recursive messages, unique method wire ids. Each failure names the elements involved.

/// Whole-module validation, run before anything is rendered.
struct ModuleChecks {
    let files: [ProtoFile]
    let messagePlans: [MessagePlan]
    let servicePlans: [ServicePlan]
    let reservedModuleNames: [String]

    func run() throws {
        try checkSyntax()
        try checkReferencesStayInModule()
        try checkTopLevelNames()
        try checkNoRecursion()
        try checkMethodIDs()
    }

    private func checkSyntax() throws {
        for file in files where file.syntax != "proto3" {
            throw GeneratorError(.unsupportedFeature,
                                 "\(file.name) uses syntax \(file.syntax); the generator supports proto3 only")
        }
    }

    private func checkReferencesStayInModule() throws {
        let generated = Set(files.map(\.name))
        func check(_ file: String, _ fullName: String, user: String) throws {
            guard generated.contains(file) else {
                throw GeneratorError(.unresolvedReference,
                                     "\(user) uses \(fullName) from \(file), which is not among the files being "
                                         + "generated into this module; generate them together")
            }
        }
        for plan in messagePlans {
            for (shape, field) in referencedShapes(plan) {
                let user = "field \(plan.protoName).\(field)"
                switch shape {
                case .message(let info): try check(info.file, info.decl.fullName, user: user)
                case .enumeration(let info): try check(info.file, info.decl.fullName, user: user)
                default: break
                }
            }
        }
        for service in servicePlans {
            for method in service.methods {
                let user = "method \(service.decl.fullName).\(method.decl.name)"
                try check(method.input.file, method.input.decl.fullName, user: user)
                try check(method.output.file, method.output.decl.fullName, user: user)
            }
        }
    }

    private func checkTopLevelNames() throws {
        var owners: [String: String] = [:]
        for name in reservedModuleNames { owners[name] = "the module or C module name" }
        func claim(_ name: String, _ what: String) throws {
            if SwiftNaming.reservedTypeNames.contains(name) || SwiftNaming.keywords.contains(name) {
                throw GeneratorError(.nameCollision, "\(what) would be Swift type `\(name)`, which generated code "
                                         + "needs for something else; rename it")
            }
            if let other = owners[name] {
                throw GeneratorError(.nameCollision, "\(other) and \(what) would both be Swift type `\(name)`: "
                                         + "generated types use short names, so names must be unique across packages")
            }
            owners[name] = what
        }
        for file in files {
            for message in file.messages { try claim(message.name, "message \(message.fullName) (\(file.name))") }
            for decl in file.enums { try claim(decl.name, "enum \(decl.fullName) (\(file.name))") }
        }
        for service in servicePlans {
            for name in service.generatedTypeNames {
                try claim(name, "service \(service.decl.fullName)'s `\(name)`")
            }
        }
    }

    private func checkNoRecursion() throws {
        var edges: [String: [String]] = [:]
        for plan in messagePlans {
            edges[plan.protoName] = referencedShapes(plan).compactMap { shape, _ in
                if case .message(let info) = shape { return info.decl.fullName }
                return nil
            }
        }
        var state: [String: Bool] = [:]  // false = on the current path, true = done
        func visit(_ name: String, path: [String]) throws {
            if state[name] == true { return }
            if state[name] == false {
                let cycle = path[(path.firstIndex(of: name) ?? 0)...] + [name]
                throw GeneratorError(.unsupportedFeature,
                                     "recursive messages \(cycle.joined(separator: " → ")): protobuf-c decodes nested "
                                         + "messages recursively with no depth limit, so a small hostile input could "
                                         + "exhaust the stack; recursive schemas are refused")
            }
            state[name] = false
            for next in edges[name] ?? [] { try visit(next, path: path + [name]) }
            state[name] = true
        }
        for plan in messagePlans { try visit(plan.protoName, path: []) }
    }

    private func checkMethodIDs() throws {
        var owners: [UInt32: String] = [:]
        for service in servicePlans {
            for method in service.methods {
                if let other = owners[method.id] {
                    throw GeneratorError(.methodIDCollision,
                                         "methods \(other) and \(method.fullName) have the same wire id "
                                             + "0x\(String(method.id, radix: 16)) (FNV-1a of the full name); rename one")
                }
                owners[method.id] = method.fullName
            }
        }
    }

    /// Every value shape a message refers to (fields, oneof members, map keys and values).
    private func referencedShapes(_ plan: MessagePlan) -> [(ValueShape, String)] {
        var result: [(ValueShape, String)] = []
        func add(_ field: FieldPlan) {
            switch field.storage {
            case .singular(let shape), .repeated(let shape): result.append((shape, field.decl.name))
            case .map(let key, let value, _):
                result.append((key, field.decl.name))
                result.append((value, field.decl.name))
            }
        }
        for member in plan.members {
            switch member {
            case .field(let field): add(field)
            case .oneof(let oneof): oneof.members.forEach(add)
            }
        }
        return result
    }
}
