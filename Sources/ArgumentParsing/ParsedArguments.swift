// A small command-line parser for our three executables (no third-party packages can be
// fetched here). Subcommands are a path of words; options are `--name value`, `--name=value`
// or boolean `--flag`; `--` ends options. Unknown options are errors, so typos never pass.

/// A usage error: message for the user, exit status 64 (EX_USAGE).
public struct UsageError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Declares one option of a command.
public struct OptionSpec: Sendable {
    public let name: String
    public let takesValue: Bool
    public let help: String
    public let valueName: String

    /// An option with a value: `--name VALUE`.
    public static func value(_ name: String, _ valueName: String = "VALUE", help: String) -> OptionSpec {
        OptionSpec(name: name, takesValue: true, help: help, valueName: valueName)
    }

    /// A boolean flag: `--name`.
    public static func flag(_ name: String, help: String) -> OptionSpec {
        OptionSpec(name: name, takesValue: false, help: help, valueName: "")
    }
}

/// The options and positional arguments of one invocation.
public struct ParsedArguments: Sendable {
    public private(set) var values: [String: [String]] = [:]
    public private(set) var flags: Set<String> = []
    public private(set) var positionals: [String] = []

    /// Parses `arguments` against `options`; `--help`/`-h` is always accepted as a flag.
    public init(_ arguments: [String], options: [OptionSpec]) throws {
        let byName = Dictionary(options.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var index = 0
        var onlyPositionals = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if onlyPositionals || !argument.hasPrefix("-") || argument == "-" {
                positionals.append(argument)
                continue
            }
            if argument == "--" {
                onlyPositionals = true
                continue
            }
            if argument == "-h" || argument == "--help" {
                flags.insert("help")
                continue
            }
            guard argument.hasPrefix("--") else { throw UsageError("unknown option \(argument)") }
            var name = String(argument.dropFirst(2))
            var inlineValue: String?
            if let equals = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            guard let spec = byName[name] else { throw UsageError("unknown option --\(name)") }
            if spec.takesValue {
                if let inlineValue {
                    values[name, default: []].append(inlineValue)
                } else {
                    guard index < arguments.count else { throw UsageError("--\(name) needs a value") }
                    values[name, default: []].append(arguments[index])
                    index += 1
                }
            } else {
                guard inlineValue == nil else { throw UsageError("--\(name) takes no value") }
                flags.insert(name)
            }
        }
    }

    public var wantsHelp: Bool { flags.contains("help") }

    public func flag(_ name: String) -> Bool { flags.contains(name) }

    /// The last value given for `name`.
    public func value(_ name: String) -> String? { values[name]?.last }

    /// All values given for a repeatable option.
    public func allValues(_ name: String) -> [String] { values[name] ?? [] }

    /// The value of `name`, or a usage error naming it.
    public func required(_ name: String) throws -> String {
        guard let value = value(name) else { throw UsageError("missing --\(name)") }
        return value
    }

    /// An integer option with a default and a valid range.
    public func integer(_ name: String, default fallback: Int, range: ClosedRange<Int> = Int.min...Int.max) throws -> Int {
        guard let text = value(name) else { return fallback }
        guard let number = Int(text), range.contains(number) else {
            throw UsageError("--\(name) must be a whole number in \(range.lowerBound)...\(range.upperBound), not \(text)")
        }
        return number
    }

    /// A duration option: `500ms`, `30s`, `10m`, `2h`, or plain seconds.
    public func duration(_ name: String, default fallback: Duration) throws -> Duration {
        guard let text = value(name) else { return fallback }
        guard let parsed = ParsedArguments.parseDuration(text) else {
            throw UsageError("--\(name) must be a duration like 500ms, 30s, 10m or 2h, not \(text)")
        }
        return parsed
    }

    /// The positional at `index`, or a usage error naming what is missing.
    public func positional(_ index: Int, _ what: String) throws -> String {
        guard index < positionals.count else { throw UsageError("missing \(what)") }
        return positionals[index]
    }

    static func parseDuration(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let number = Double(text.dropLast(suffix.count)), number >= 0 else { return nil }
            return .milliseconds(Int64((number * scale * 1000).rounded()))
        }
        guard let seconds = Double(text), seconds >= 0 else { return nil }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }
}
