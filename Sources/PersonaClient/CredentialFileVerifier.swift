// `personahsm verify-credentials`: checks every credential of a JSON Lines file offline. Keys
// come only from the did:key each credential names (no server, no network). Lines may be the
// issuance job's records (`{"id","source","jwt","di"}`), a bare compact JWS as a JSON string, or
// a Data Integrity document. Lines are verified in parallel chunks on all cores.

import Credentials
import Foundation

/// The result of verifying a file.
public struct CredentialFileReport: Sendable, CustomStringConvertible {
    /// One credential that did not verify.
    public struct Failure: Sendable {
        public let line: Int
        public let format: String
        public let message: String
    }

    public var lines = 0
    public var verified = 0
    public var jwt = 0
    public var dataIntegrity = 0
    public var failures: [Failure] = []
    public var elapsed: Duration = .zero

    /// Credentials checked.
    public var credentials: Int { verified + failures.count }
    /// True when there was something to verify and all of it verified.
    public var allVerified: Bool { failures.isEmpty && verified > 0 }

    public var description: String {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return "\(verified) of \(credentials) credentials verified (\(jwt) JWT, \(dataIntegrity) Data Integrity) "
            + "on \(lines) lines, \(failures.count) failed, in \(String(format: "%.2f", seconds)) s"
    }
}

/// Verifies files of issued credentials.
public struct CredentialFileVerifier: Sendable {
    public let verifier: CredentialVerifier

    public init(verifier: CredentialVerifier = CredentialVerifier()) { self.verifier = verifier }

    /// Verifies every line of `path`.
    ///
    /// - Throws: ``IssuanceError/Code/input`` when the file cannot be read.
    public func verify(path: String, chunkSize: Int = 512) async throws -> CredentialFileReport {
        let started = ContinuousClock.now
        guard let data = FileManager.default.contents(atPath: path) else {
            throw IssuanceError(.input, "cannot read \(path)")
        }
        var lines: [(number: Int, bytes: [UInt8])] = []
        var number = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            if line.contains(where: { !IssuanceInput.isJSONSpace($0) }) { lines.append((number, Array(line))) }
        }
        let chunks = stride(from: 0, to: lines.count, by: chunkSize).map { Array(lines[$0..<min($0 + chunkSize, lines.count)]) }
        let verifier = self.verifier
        var report = await withTaskGroup(of: CredentialFileReport.self) { group in
            for chunk in chunks {
                group.addTask { Self.verify(chunk, with: verifier) }
            }
            var total = CredentialFileReport()
            for await part in group {
                total.lines += part.lines
                total.verified += part.verified
                total.jwt += part.jwt
                total.dataIntegrity += part.dataIntegrity
                total.failures += part.failures
            }
            return total
        }
        report.failures.sort { $0.line < $1.line }
        report.elapsed = ContinuousClock.now - started
        return report
    }

    static func verify(_ lines: [(number: Int, bytes: [UInt8])], with verifier: CredentialVerifier) -> CredentialFileReport {
        var report = CredentialFileReport()
        for (number, bytes) in lines {
            report.lines += 1
            let value: JSONValue
            do {
                value = try JSONParser.parse(bytes)
            } catch {
                report.failures.append(.init(line: number, format: "-", message: "not JSON: \(error)"))
                continue
            }
            var items: [(format: String, value: JSONValue)] = []
            if value.stringValue != nil {
                items.append(("jwt", value))
            } else if value["proof"] != nil {
                items.append(("di", value))
            } else {
                if let jwt = value["jwt"] { items.append(("jwt", jwt)) }
                if let di = value["di"] { items.append(("di", di)) }
            }
            if items.isEmpty {
                report.failures.append(.init(line: number, format: "-", message: "no credential on this line"))
            }
            for item in items {
                do {
                    if item.format == "jwt" {
                        guard let compact = item.value.stringValue else {
                            throw CredentialError(.malformedJWS, "the jwt member must be a string")
                        }
                        _ = try verifier.verifyJWT(compact)
                        report.jwt += 1
                    } else {
                        _ = try verifier.verifyDataIntegrity(item.value)
                        report.dataIntegrity += 1
                    }
                    report.verified += 1
                } catch {
                    report.failures.append(.init(line: number, format: item.format, message: "\(error)"))
                }
            }
        }
        return report
    }
}
