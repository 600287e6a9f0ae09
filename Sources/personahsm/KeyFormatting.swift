// Text and JSON renderings of keys for the CLI.

import Foundation
import PersonaProtos

enum KeyFormatting {
    static func algorithmName(_ algorithm: Algorithm) -> String {
        KeyCommands.algorithms.first { $0.value == algorithm }?.key ?? "unknown(\(algorithm.rawValue))"
    }

    static func stateName(_ state: KeyState) -> String {
        switch state {
        case .enabled: "enabled"
        case .disabled: "disabled"
        case .verifyOnly: "verify-only"
        case .destructionScheduled: "destruction-scheduled"
        case .destroyed: "destroyed"
        default: "unknown"
        }
    }

    static func purposeName(_ purpose: KeyPurpose) -> String {
        switch purpose {
        case .signVerify: "sign-verify"
        case .encryptDecrypt: "encrypt-decrypt"
        case .derive: "derive"
        case .wrap: "wrap"
        default: "unspecified"
        }
    }

    static func summary(_ key: Key) -> String {
        "\(key.name)\t\(algorithmName(key.algorithm))\tv\(key.primaryVersion)\t\(key.versions.count) version(s)"
    }

    static func details(_ key: Key) -> String {
        var lines = ["name:      \(key.name)", "algorithm: \(algorithmName(key.algorithm))",
                     "purpose:   \(purposeName(key.purpose))",
                     "primary:   v\(key.primaryVersion)",
                     "rotation:  " + (key.rotationPeriodSeconds == 0 ? "never"
                                      : "every \(key.rotationPeriodSeconds / 86_400) days, next \(date(key.nextRotationUnixMillis))")]
        for version in key.versions {
            var line = "  v\(version.version)  \(stateName(version.state))  created \(date(version.createdUnixMillis))"
            if version.destroyAfterUnixMillis > 0 { line += "  destroy after \(date(version.destroyAfterUnixMillis))" }
            if !version.didKey.isEmpty { line += "\n       \(version.didKey)" }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    static func dictionary(_ key: Key) -> [String: Any] {
        ["name": key.name, "algorithm": algorithmName(key.algorithm), "purpose": purposeName(key.purpose),
         "primary_version": key.primaryVersion,
         "rotation_period_seconds": key.rotationPeriodSeconds, "next_rotation_unix_millis": key.nextRotationUnixMillis,
         "labels": key.labels,
         "versions": key.versions.map { version in
             ["version": version.version, "state": stateName(version.state), "did_key": version.didKey,
              "created_unix_millis": version.createdUnixMillis, "destroy_after_unix_millis": version.destroyAfterUnixMillis,
              "backends": version.backends] as [String: Any]
         }]
    }

    static func date(_ millis: Int64) -> String {
        millis == 0 ? "-" : ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }
}
