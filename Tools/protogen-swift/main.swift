// protogen-swift: reads a descriptor set written by `protoc-c --descriptor_set_out
// --include_source_info` and writes the Swift wrappers (one file per .proto plus runtime
// support) into a directory. All logic lives in ProtoGenKit; this is only the command line.
//
//   protogen-swift --descriptor-set schema.pb --out DIR --c-module CPersonaProtos \
//                  --module PersonaProtos [--test-support-out DIR] [file.proto ...]

import Foundation
import ProtoGenKit

struct CommandLineOptions {
    var descriptorSet = ""
    var outputDirectory = ""
    var cModule = ""
    var moduleName = ""
    var testSupportDirectory: String?
    var files: [String] = []

    static let usage = """
        usage: protogen-swift --descriptor-set FILE --out DIR --c-module NAME --module NAME
                              [--test-support-out DIR] [FILE.proto ...]
        """

    init(_ arguments: [String]) throws {
        var remaining = arguments[...]
        func value(for flag: String) throws -> String {
            guard let next = remaining.popFirst() else {
                throw GeneratorError(.invalidOptions, "\(flag) needs a value\n\(Self.usage)")
            }
            return next
        }
        while let argument = remaining.popFirst() {
            switch argument {
            case "--descriptor-set": descriptorSet = try value(for: argument)
            case "--out": outputDirectory = try value(for: argument)
            case "--c-module": cModule = try value(for: argument)
            case "--module": moduleName = try value(for: argument)
            case "--test-support-out": testSupportDirectory = try value(for: argument)
            case "-h", "--help":
                print(Self.usage)
                exit(0)
            default:
                if argument.hasPrefix("-") {
                    throw GeneratorError(.invalidOptions, "unknown option \(argument)\n\(Self.usage)")
                }
                files.append(argument)
            }
        }
        for (flag, given) in [("--descriptor-set", descriptorSet), ("--out", outputDirectory),
                              ("--c-module", cModule), ("--module", moduleName)] where given.isEmpty {
            throw GeneratorError(.invalidOptions, "\(flag) is required\n\(Self.usage)")
        }
    }
}

func write(_ files: [GeneratedFile], to directory: String) throws {
    let manager = FileManager.default
    do {
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for file in files {
            let path = (directory as NSString).appendingPathComponent(file.name)
            try Data(file.contents.utf8).write(to: URL(fileURLWithPath: path))
        }
    } catch {
        throw GeneratorError(.outputFailed, "cannot write to \(directory)", cause: "\(error)")
    }
}

do {
    let options = try CommandLineOptions(Array(CommandLine.arguments.dropFirst()))
    guard let data = FileManager.default.contents(atPath: options.descriptorSet) else {
        throw GeneratorError(.unreadableSchema, "cannot read \(options.descriptorSet)")
    }
    let schema = try SchemaLoader.load(descriptorSet: [UInt8](data))
    let generator = SwiftGenerator(schema: schema,
                                   options: GeneratorOptions(cModule: options.cModule, moduleName: options.moduleName))
    try write(generator.generateModule(files: options.files), to: options.outputDirectory)
    if let directory = options.testSupportDirectory {
        try write([generator.generateTestSupport(files: options.files)], to: directory)
    }
} catch {
    FileHandle.standardError.write(Data("protogen-swift: \(error)\n".utf8))
    exit(1)
}
