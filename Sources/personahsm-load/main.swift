// personahsm-load: load generator and sizing tool for PersonaHSM, built on the generated stubs.
// Closed loop (N in flight) or open loop (fixed rate, latency from the intended send time),
// a sweep to saturation with the latency at 80 % of it, JSON and HTML reports, and a soak mode
// that samples the server's RSS and open files from /proc.

import ArgumentParsing
import Foundation
import LoadHarness
import PersonaClient
import PersonaProtos

signal(SIGPIPE, SIG_IGN)

let options: [OptionSpec] = [
    .value("server", "HOST:PORT", help: "Server endpoint (default 127.0.0.1:7443)."),
    .value("role", "NAME", help: "Dev-environment identity (default issuer)."),
    .value("dev-root", "DIR", help: "Dev environment folder (default .personahsm)."),
    .value("tls-cert", "PEM", help: "Client certificate."), .value("tls-key", "PEM", help: "Client key."),
    .value("tls-ca", "PEM", help: "Server CA."),
    .value("mode", "MODE", help: "sign (default), batch, stream, verify, encrypt."),
    .value("algorithm", "ALG", help: "ed25519 (default), ecdsa-p256, rsa2048-pkcs1, rsa2048-pss."),
    .value("keys", "N", help: "Keys to spread calls over (default 1)."),
    .value("batch", "B", help: "Items per SignBatch (default 64)."),
    .value("connections", "C", help: "Connections (default 4)."),
    .value("streams", "S", help: "Concurrent calls per connection in closed loop, or signing streams (default 16)."),
    .value("rate", "R", help: "Open loop at R calls/s (default: closed loop)."),
    .value("duration", "D", help: "Measured duration (default 10s)."),
    .value("warmup", "D", help: "Warm-up, not measured (default 2s)."),
    .value("payload", "BYTES", help: "Message size (default 256)."),
    .flag("sweep", help: "Raise the open-loop rate until saturation, then measure at 80 % of it."),
    .value("soak", "D", help: "Soak for D, sampling server RSS and open files (needs --server-pid)."),
    .value("server-pid", "PID", help: "personahsmd's pid for --soak."),
    .value("report", "FILE", help: "Write an HTML report (plots, no network needed)."),
    .flag("json", help: "Print the result as JSON."),
]

let command = Command("personahsm-load", summary: "Load generator for PersonaHSM", options: options) { args in
    let algorithms: [String: Algorithm] = ["ed25519": .ed25519, "ecdsa-p256": .ecdsaP256Sha256,
                                           "rsa2048-pkcs1": .rsa2048Pkcs1Sha256, "rsa2048-pss": .rsa2048PssSha256]
    guard let mode = LoadMode(rawValue: args.value("mode") ?? "sign") else { throw UsageError("unknown --mode") }
    guard let algorithm = algorithms[args.value("algorithm") ?? "ed25519"] else { throw UsageError("unknown --algorithm") }
    var configuration = ClientConfiguration.dev(role: args.value("role") ?? "issuer",
                                                root: args.value("dev-root") ?? ".personahsm",
                                                endpoint: args.value("server") ?? "127.0.0.1:7443")
    if let cert = args.value("tls-cert") { configuration.certificate = cert }
    if let key = args.value("tls-key") { configuration.privateKey = key }
    if let ca = args.value("tls-ca") { configuration.caCertificate = ca }
    let connections = try args.integer("connections", default: 4, range: 1...1024)
    let streams = try args.integer("streams", default: 16, range: 1...4096)
    let scenario = try await LoadScenario.prepare(
        mode: mode, algorithm: algorithm, keyCount: try args.integer("keys", default: 1, range: 1...10_000),
        batchSize: try args.integer("batch", default: 64, range: 1...1024), connectionCount: connections,
        streamsPerConnection: streams, payloadBytes: try args.integer("payload", default: 256, range: 0...1 << 20),
        configuration: configuration)
    let runner = LoadRunner { index in try await scenario.call(index) }
    let duration = try args.duration("duration", default: .seconds(10))
    let warmup = try args.duration("warmup", default: .seconds(2))
    let title = "personahsm-load \(mode.rawValue) \(args.value("algorithm") ?? "ed25519")"
    // Live progress: one updating line on a terminal, a line per second otherwise.
    let onTerminal = isatty(2) == 1
    let progress: @Sendable (Double, UInt64) -> Void = { seconds, done in
        let line = (onTerminal ? "\r" : "") + "  \(Int(seconds)) s: \(done) calls" + (onTerminal ? "" : "\n")
        FileHandle.standardError.write(Data(line.utf8))
    }
    var steps: [SweepStep] = []
    let result: LoadResult
    if let soak = args.value("soak") {
        guard let pid = args.value("server-pid").flatMap(Int32.init) else { throw UsageError("--soak needs --server-pid") }
        guard let length = ParsedArgumentsDuration.parse(soak) else { throw UsageError("bad --soak duration") }
        result = await SoakRun(runner: runner, connections: connections * streams, serverPID: pid).run(for: length)
    } else if args.flag("sweep") {
        let closed = await runner.run(.closedLoop(concurrency: connections * streams), duration: .seconds(3), warmup: warmup)
        let sweep = await RateSweep(runner: runner, startRate: max(closed.throughput * 0.25, 10),
                                    stepDuration: duration, maxInFlight: connections * streams)
            .run { step in
                FileHandle.standardError.write(Data(
                    "  offered \(Int(step.offeredRate))/s → \(Int(step.result.throughput))/s, p99 \(Double(step.result.latency.percentile(99)) / 1e6) ms\n".utf8))
            }
        steps = sweep.steps
        result = sweep.atEightyPercent
        FileHandle.standardError.write(Data("saturation \(Int(sweep.saturationThroughput)) calls/s; at 80 %:\n".utf8))
    } else if let rate = args.value("rate").flatMap(Double.init) {
        result = await runner.run(.openLoop(ratePerSecond: rate, maxInFlight: connections * streams), duration: duration,
                                  warmup: warmup, progress: progress)
    } else {
        result = await runner.run(.closedLoop(concurrency: connections * streams), duration: duration, warmup: warmup,
                                  progress: progress)
    }
    FileHandle.standardError.write(Data("\n".utf8))
    let summary = ResultSummary(result: result, operationsPerCall: scenario.operationsPerCall)
    if args.flag("json") { print(summary.json) } else { print(summary.table) }
    if let report = args.value("report") {
        try HTMLReport(title: title, steps: steps.isEmpty ? [SweepStep(offeredRate: result.throughput, result: result)] : steps,
                       focus: result).render().write(toFile: report, atomically: true, encoding: .utf8)
        FileHandle.standardError.write(Data("report written to \(report)\n".utf8))
    }
    await scenario.close()
    return result.completed > 0 && result.errorCount == 0 ? 0 : 2
}

enum ParsedArgumentsDuration {
    static func parse(_ text: String) -> Duration? {
        try? ParsedArguments(["--d", text], options: [.value("d", help: "")]).duration("d", default: .zero)
    }
}

let status = await command.dispatch(Array(CommandLine.arguments.dropFirst()),
                                    printOut: { FileHandle.standardOutput.write(Data($0.utf8)) },
                                    printError: { FileHandle.standardError.write(Data($0.utf8)) })
exit(status)
