// Subcommand dispatch with generated help, so every command answers `--help` the same way.

/// One command (leaf) or group of subcommands.
public struct Command: Sendable {
    public let name: String
    public let summary: String
    public let usage: String
    public let options: [OptionSpec]
    public let subcommands: [Command]
    public let run: (@Sendable (ParsedArguments) async throws -> Int32)?

    /// A leaf command that runs.
    public init(_ name: String, summary: String, usage: String = "", options: [OptionSpec] = [],
                run: @escaping @Sendable (ParsedArguments) async throws -> Int32) {
        self.name = name
        self.summary = summary
        self.usage = usage
        self.options = options
        self.subcommands = []
        self.run = run
    }

    /// A group of subcommands.
    public init(_ name: String, summary: String, subcommands: [Command]) {
        self.name = name
        self.summary = summary
        self.usage = ""
        self.options = []
        self.subcommands = subcommands
        self.run = nil
    }

    /// Help text for this command, given the words that lead to it.
    public func help(path: [String]) -> String {
        var text = "\(path.joined(separator: " ")) — \(summary)\n"
        if !subcommands.isEmpty {
            text += "\nUsage: \(path.joined(separator: " ")) <command> [options]\n\nCommands:\n"
            let width = subcommands.map(\.name.count).max() ?? 0
            for sub in subcommands {
                text += "  \(sub.name.padded(to: width))  \(sub.summary)\n"
            }
            text += "\nRun '\(path.joined(separator: " ")) <command> --help' for a command's options.\n"
            return text
        }
        text += "\nUsage: \(path.joined(separator: " ")) \(usage.isEmpty ? "[options]" : usage)\n"
        if !options.isEmpty {
            text += "\nOptions:\n"
            let rendered = options.map { option in
                ("--\(option.name)" + (option.takesValue ? " \(option.valueName)" : ""), option.help)
            }
            let width = rendered.map(\.0.count).max() ?? 0
            for (left, help) in rendered {
                text += "  \(left.padded(to: width))  \(help)\n"
            }
        }
        text += "  --help  Show this help.\n"
        return text
    }

    /// Resolves `arguments` to a leaf and runs it. Returns the process exit status:
    /// 0 success, what the command returns, 64 usage error (with help on stderr).
    public func dispatch(_ arguments: [String], path: [String]? = nil,
                         printOut: @Sendable (String) -> Void, printError: @Sendable (String) -> Void) async -> Int32 {
        let path = path ?? [name]
        if !subcommands.isEmpty {
            guard let word = arguments.first, !word.hasPrefix("-") else {
                if arguments.first == "--help" || arguments.first == "-h" {
                    printOut(help(path: path))
                    return 0
                }
                printError(help(path: path))
                return 64
            }
            guard let sub = subcommands.first(where: { $0.name == word }) else {
                printError("\(path.joined(separator: " ")): unknown command '\(word)'\n\n" + help(path: path))
                return 64
            }
            return await sub.dispatch(Array(arguments.dropFirst()), path: path + [word],
                                      printOut: printOut, printError: printError)
        }
        do {
            let parsed = try ParsedArguments(arguments, options: options)
            if parsed.wantsHelp {
                printOut(help(path: path))
                return 0
            }
            return try await run!(parsed)
        } catch let error as UsageError {
            printError("\(path.joined(separator: " ")): \(error)\n\n" + help(path: path))
            return 64
        } catch {
            printError("\(path.joined(separator: " ")): \(error)\n")
            return 1
        }
    }
}

extension String {
    /// Right-pads with spaces to `width` characters.
    func padded(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
