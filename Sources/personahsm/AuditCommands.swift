// `personahsm audit verify LOG`: checks the hash chain and every checkpoint signature of an
// audit log, offline. Checkpoint keys are the PEM files personahsmd exports next to the log
// (`keys/<name>-v<version>.pem`); `--keys DIR` points elsewhere.

import ArgumentParsing
import AuditLog
import Foundation
import SoftCrypto

enum AuditCommands {
    static var group: Command {
        Command("audit", summary: "Audit log tools", subcommands: [
            Command("verify", summary: "Verify an audit log's hash chain and checkpoint signatures", usage: "LOG [--keys DIR]",
                    options: [.value("keys", "DIR", help: "Folder of <name>-v<version>.pem checkpoint keys (default: LOG's keys/)."),
                              .flag("no-signatures", help: "Check the chain only."),
                              .flag("json", help: "Print JSON.")]) { args in
                let path = try args.positional(0, "audit LOG path")
                guard FileManager.default.fileExists(atPath: path) else {
                    Output.error("error: no such file \(path)")
                    return ExitCode.io
                }
                let keyFolder = args.value("keys")
                    ?? URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("keys").path
                let verifier = args.flag("no-signatures") ? nil : PEMFolderVerifier(folder: keyFolder)
                let report = try AuditVerifier.verify(path: path, verifier: verifier)
                if args.flag("json") {
                    var object: [String: Any] = ["valid": report.isValid, "records": report.validRecords,
                                                 "calls": report.callRecords, "checkpoints": report.checkpointRecords,
                                                 "last_seq": report.lastSeq, "signatures_checked": report.signaturesChecked]
                    if let broken = report.firstBroken {
                        object["first_broken"] = ["seq": broken.seq, "line": broken.line, "reason": broken.reason]
                    }
                    if let torn = report.tornTail { object["torn_tail"] = ["line": torn.line, "bytes": torn.byteCount] }
                    Output.json(object)
                } else {
                    Output.line(report.description)
                }
                return report.isValid ? ExitCode.success : ExitCode.invalid
            },
        ])
    }
}

/// Checks checkpoint signatures with public keys from `<folder>/<name>-v<version>.pem`.
struct PEMFolderVerifier: CheckpointVerifier {
    let folder: String

    func verify(signature: [UInt8], message: [UInt8], keyName: String, keyVersion: UInt32) -> Bool {
        guard !keyName.contains("/"), !keyName.contains(".."),
              let text = try? String(contentsOfFile: "\(folder)/\(keyName)-v\(keyVersion).pem", encoding: .utf8),
              let key = try? PublicKey(pem: text) else { return false }
        return (try? key.isValidSignature(signature, for: message, algorithm: .ed25519)) == true
    }
}
