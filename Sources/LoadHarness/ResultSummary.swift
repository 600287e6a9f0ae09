// The terminal table and the JSON document personahsm-load prints for a run.

import Foundation

/// Human and machine renderings of a ``LoadResult``.
public struct ResultSummary: Sendable {
    public var result: LoadResult
    /// Signatures per call (batch size in batch mode).
    public var operationsPerCall: Int

    public init(result: LoadResult, operationsPerCall: Int) {
        self.result = result
        self.operationsPerCall = operationsPerCall
    }

    static let points: [(String, Double)] = [("p50", 50), ("p90", 90), ("p99", 99), ("p99.9", 99.9)]

    public var table: String {
        let l = result.latency
        var lines = [
            String(format: "calls      %10llu in %.1f s", result.completed, result.elapsedSeconds),
            String(format: "throughput %10.0f calls/s  (%.0f operations/s)", result.throughput,
                   result.throughput * Double(operationsPerCall)),
        ]
        for (name, p) in Self.points {
            lines.append(name.padding(toLength: 10, withPad: " ", startingAt: 0) + String(format: " %10.3f ms", Double(l.percentile(p)) / 1e6))
        }
        lines.append(String(format: "max        %10.3f ms", Double(l.maximum) / 1e6))
        if result.errors.isEmpty {
            lines.append("errors              0")
        } else {
            for (code, count) in result.errors.sorted(by: { $0.key < $1.key }) {
                lines.append(String(format: "errors     %10llu %@", count, code))
            }
        }
        if let first = result.firstError { lines.append("first error: \(first)") }
        return lines.joined(separator: "\n")
    }

    public var json: String {
        let l = result.latency
        var object: [String: Any] = [
            "calls": result.completed, "elapsed_s": result.elapsedSeconds, "calls_per_s": result.throughput,
            "operations_per_s": result.throughput * Double(operationsPerCall), "errors": result.errors,
            "latency_ms": Dictionary(uniqueKeysWithValues: Self.points.map { ($0.0, Double(l.percentile($0.1)) / 1e6) }
                + [("max", Double(l.maximum) / 1e6)]),
        ]
        switch result.shape {
        case .closedLoop(let concurrency): object["shape"] = ["closed_loop": concurrency]
        case .openLoop(let rate, let inFlight): object["shape"] = ["open_loop_rate": rate, "max_in_flight": inFlight]
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
