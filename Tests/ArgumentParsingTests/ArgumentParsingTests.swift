// The parser accepts the forms our docs show and rejects typos with usage errors.

import Synchronization
import Testing
@testable import ArgumentParsing

@Suite struct ArgumentParsingTests {
    let options: [OptionSpec] = [.value("key", help: "key name"), .flag("json", help: "JSON output"),
                                 .value("count", help: "n"), .value("timeout", help: "t")]

    @Test func parsesAllForms() throws {
        let parsed = try ParsedArguments(["--key", "issuer", "--json", "file.json", "--count=5", "--", "--literal"],
                                         options: options)
        #expect(parsed.value("key") == "issuer")
        #expect(parsed.flag("json"))
        #expect(try parsed.integer("count", default: 1) == 5)
        #expect(parsed.positionals == ["file.json", "--literal"])
    }

    @Test func rejectsMistakes() {
        #expect(throws: UsageError.self) { try ParsedArguments(["--kee", "x"], options: options) }
        #expect(throws: UsageError.self) { try ParsedArguments(["--key"], options: options) }
        #expect(throws: UsageError.self) { try ParsedArguments(["--json=yes"], options: options) }
        #expect(throws: UsageError.self) { try ParsedArguments(["--count", "x"], options: options).integer("count", default: 0) }
    }

    @Test func durations() throws {
        let parsed = try ParsedArguments(["--timeout", "1500ms"], options: options)
        #expect(try parsed.duration("timeout", default: .seconds(1)) == .milliseconds(1500))
        #expect(ParsedArguments.parseDuration("10m") == .seconds(600))
        #expect(ParsedArguments.parseDuration("2.5") == .milliseconds(2500))
        #expect(ParsedArguments.parseDuration("-1s") == nil)
        #expect(ParsedArguments.parseDuration("abc") == nil)
    }

    @Test func dispatchesSubcommandsAndHelp() async {
        let ran = Mutex<[String]>([])
        let tool = Command("tool", summary: "a tool", subcommands: [
            Command("keys", summary: "keys", subcommands: [
                Command("create", summary: "create a key", options: [.value("algorithm", help: "alg")]) { args in
                    ran.withLock { $0.append("create \(args.value("algorithm") ?? "-")") }
                    return 0
                },
            ]),
        ])
        let out = Mutex("")
        let err = Mutex("")
        let printOut: @Sendable (String) -> Void = { text in out.withLock { $0 += text } }
        let printError: @Sendable (String) -> Void = { text in err.withLock { $0 += text } }
        #expect(await tool.dispatch(["keys", "create", "--algorithm", "ed25519"], printOut: printOut, printError: printError) == 0)
        #expect(ran.withLock { $0 } == ["create ed25519"])
        #expect(await tool.dispatch(["keys", "create", "--help"], printOut: printOut, printError: printError) == 0)
        #expect(out.withLock { $0 }.contains("--algorithm VALUE"))
        #expect(await tool.dispatch(["keys", "nope"], printOut: printOut, printError: printError) == 64)
        #expect(err.withLock { $0 }.contains("unknown command 'nope'"))
        #expect(await tool.dispatch(["keys", "create", "--bogus"], printOut: printOut, printError: printError) == 64)
    }
}
