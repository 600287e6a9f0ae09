// personahsmd: the PersonaHSM server. `--config FILE` for production; `--dev` creates (first run)
// and uses a SoftHSM2 token, a dev PKI, a policy and a config in `.personahsm/`. SIGTERM/SIGINT
// drain and stop; SIGHUP reloads certificates, CRL and policy.

import ArgumentParsing
import Dispatch
import Foundation
import Observability
import PKCS11
import PersonaServer

let options: [OptionSpec] = [
    .value("config", "FILE", help: "Config file (docs/CONFIG.md)."),
    .flag("dev", help: "Use (and create on first run) the embedded SoftHSM2 token, dev PKI and policy."),
    .value("dev-root", "DIR", help: "Folder of the dev environment (default .personahsm)."),
    .value("listen", "HOST:PORT", help: "RPC address; overrides the config (dev default 127.0.0.1:7443)."),
    .value("ops-listen", "HOST:PORT", help: "Ops HTTP address; overrides the config (dev default 127.0.0.1:9464)."),
    .value("maintenance-interval", "DURATION", help: "How often rotation and destruction are checked (default 60s)."),
]

let command = Command("personahsmd", summary: "PersonaHSM signing server", usage: "(--config FILE | --dev) [options]",
                      options: options) { args in
    var environment = ProcessInfo.processInfo.environment
    if let listen = args.value("listen") { environment["PERSONAHSM_LISTEN"] = listen }
    if let ops = args.value("ops-listen") { environment["PERSONAHSM_OPS_LISTEN"] = ops }
    let configPath: String
    if args.flag("dev") {
        let root = URL(fileURLWithPath: args.value("dev-root") ?? ".personahsm").standardizedFileURL.path
        configPath = try DevEnvironment.prepare(root: root)
        _ = try DevToken.open(folder: root + "/hsm", label: DevEnvironment.tokenLabel)
        _ = try DevToken.open(folder: root + "/hsm", label: DevEnvironment.vaultTokenLabel)
        _ = try DevToken.open(folder: root + "/hsm", label: DevEnvironment.stateTokenLabel)
    } else {
        configPath = try args.required("config")
    }
    let config = try ServerConfig.load(path: configPath, environment: environment)
    let level: LogLevel = ["debug": .debug, "warning": .warning, "error": .error][config.logLevel] ?? .info
    let logger = JSONLogger(component: "personahsmd", minimum: level)
    let server = try await PersonaHSMServer.start(
        config: config, logger: logger,
        maintenanceInterval: try args.duration("maintenance-interval", default: .seconds(60)))
    FileHandle.standardOutput.write(Data(
        "personahsmd listening on \(HostPort(config.listen)!.host):\(server.port) (ops port \(server.opsPort))\n".utf8))
    await SignalWaiter.run(onReload: { server.reload() })
    await server.shutdown()
    return 0
}

/// Waits for SIGTERM or SIGINT, running `onReload` on every SIGHUP meanwhile.
enum SignalWaiter {
    static func run(onReload: @escaping @Sendable () -> Void) async {
        for sig in [SIGTERM, SIGINT, SIGHUP] { signal(sig, SIG_IGN) }
        let queue = DispatchQueue(label: "signals")
        let hup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: queue)
        hup.setEventHandler(handler: onReload)
        hup.resume()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let once = OnceFlag()
            var sources: [any DispatchSourceSignal] = []
            for sig in [SIGTERM, SIGINT] {
                let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
                source.setEventHandler { if once.claim() { continuation.resume() } }
                source.resume()
                sources.append(source)
            }
            Retainer.keep((sources + [hup]).map { $0 as AnyObject })
        }
    }
}

/// True once.
final class OnceFlag: @unchecked Sendable {
    private var used = false
    private let lock = NSLock()
    func claim() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if used { return false }
        used = true
        return true
    }
}

/// Keeps signal sources alive for the life of the process.
enum Retainer {
    nonisolated(unsafe) static var objects: [AnyObject] = []
    static func keep(_ items: [AnyObject]) { objects += items }
}

let status = await command.dispatch(Array(CommandLine.arguments.dropFirst()),
                                    printOut: { FileHandle.standardOutput.write(Data($0.utf8)) },
                                    printError: { FileHandle.standardError.write(Data($0.utf8)) })
exit(status)
