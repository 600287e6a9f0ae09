// JSON-lines logging: one object per line on stderr (or any file descriptor), so that log
// shippers can parse it without guessing. Fields are flat string/number values.

import Foundation
import Synchronization

/// Severity of a log event.
public enum LogLevel: Int, Sendable, Comparable, CustomStringConvertible {
    case debug = 0, info, warning, error

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { ["debug", "info", "warning", "error"][rawValue] }
}

/// A value in a log event.
public enum LogValue: Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    case string(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
}

/// Writes JSON-lines log events; safe to share between threads.
public final class JSONLogger: Sendable {
    private let sink: @Sendable (String) -> Void
    private let minimum: LogLevel
    private let component: String

    /// Logs to a file descriptor (stderr by default).
    public convenience init(component: String, minimum: LogLevel = .info, fileDescriptor: Int32 = 2) {
        let lock = Mutex(())
        self.init(component: component, minimum: minimum) { line in
            lock.withLock { _ in
                var bytes = Array(line.utf8)
                bytes.append(0x0A)
                var offset = 0
                while offset < bytes.count {
                    let written = bytes[offset...].withUnsafeBytes { write(fileDescriptor, $0.baseAddress, $0.count) }
                    if written <= 0 { break }
                    offset += written
                }
            }
        }
    }

    /// Logs to a custom sink (tests capture lines this way).
    public init(component: String, minimum: LogLevel = .info, sink: @escaping @Sendable (String) -> Void) {
        self.component = component
        self.minimum = minimum
        self.sink = sink
    }

    /// A logger for a sub-component sharing this one's sink.
    public func child(_ component: String) -> JSONLogger {
        JSONLogger(component: component, minimum: minimum, sink: sink)
    }

    public func log(_ level: LogLevel, _ message: String, _ fields: [String: LogValue] = [:]) {
        guard level >= minimum else { return }
        var line = "{\"ts\":\"\(Self.timestamp())\",\"level\":\"\(level)\",\"component\":"
        line += JSONText.quote(component) + ",\"msg\":" + JSONText.quote(message)
        for key in fields.keys.sorted() {
            line += "," + JSONText.quote(key) + ":"
            switch fields[key]! {
            case .string(let value): line += JSONText.quote(value)
            case .int(let value): line += String(value)
            case .double(let value): line += value.isFinite ? "\(value)" : "null"
            case .bool(let value): line += value ? "true" : "false"
            }
        }
        sink(line + "}")
    }

    public func debug(_ message: String, _ fields: [String: LogValue] = [:]) { log(.debug, message, fields) }
    public func info(_ message: String, _ fields: [String: LogValue] = [:]) { log(.info, message, fields) }
    public func warning(_ message: String, _ fields: [String: LogValue] = [:]) { log(.warning, message, fields) }
    public func error(_ message: String, _ fields: [String: LogValue] = [:]) { log(.error, message, fields) }

    static func timestamp() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        var time = tm()
        var seconds = spec.tv_sec
        gmtime_r(&seconds, &time)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", time.tm_year + 1900, time.tm_mon + 1,
                      time.tm_mday, time.tm_hour, time.tm_min, time.tm_sec, spec.tv_nsec / 1_000_000)
    }
}

/// Minimal JSON string quoting for hand-written JSON output.
public enum JSONText {
    /// `value` as a JSON string literal, escaping quotes, backslashes and control characters.
    public static func quote(_ value: String) -> String {
        var out = "\""
        out.reserveCapacity(value.utf8.count + 2)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
