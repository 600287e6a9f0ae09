// Process-wide metrics with Prometheus text exposition. The daemon creates one registry and
// passes it down; tests create their own, so nothing here is global.

import Synchronization

/// Label set of one time series, kept sorted by name so equal sets render identically.
public struct MetricLabels: Hashable, Sendable {
    public let pairs: [(String, String)]

    public init(_ labels: [String: String] = [:]) {
        pairs = labels.sorted { $0.key < $1.key }
    }

    public static func == (lhs: MetricLabels, rhs: MetricLabels) -> Bool {
        lhs.pairs.elementsEqual(rhs.pairs) { $0 == $1 }
    }

    public func hash(into hasher: inout Hasher) {
        for (key, value) in pairs {
            hasher.combine(key)
            hasher.combine(value)
        }
    }

    /// `{a="1",b="2"}`, or "" when empty; `extra` is appended last (used for `le`).
    func rendered(extra: (String, String)? = nil) -> String {
        var all = pairs
        if let extra { all.append(extra) }
        guard !all.isEmpty else { return "" }
        return "{" + all.map { "\($0.0)=\"\(Self.escape($0.1))\"" }.joined(separator: ",") + "}"
    }

    static func escape(_ value: String) -> String {
        var out = ""
        for char in value {
            switch char {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(char)
            }
        }
        return out
    }
}

/// Holds every metric family and renders them in the Prometheus text format (version 0.0.4).
public final class MetricsRegistry: Sendable {
    private enum Kind: String { case counter, gauge, histogram }

    private struct Family {
        var kind: Kind
        var help: String
        var counters: [MetricLabels: Counter] = [:]
        var gauges: [MetricLabels: Gauge] = [:]
        var histograms: [MetricLabels: Histogram] = [:]
        var buckets: [Double] = []
    }

    private let families = Mutex<[String: Family]>([:])

    public init() {}

    /// The counter `name` with `labels`, created on first use.
    public func counter(_ name: String, help: String, labels: [String: String] = [:]) -> Counter {
        let key = MetricLabels(labels)
        return families.withLock { families in
            var family = families[name] ?? Family(kind: .counter, help: help)
            precondition(family.kind == .counter, "metric \(name) registered with another type")
            if let existing = family.counters[key] { return existing }
            let counter = Counter()
            family.counters[key] = counter
            families[name] = family
            return counter
        }
    }

    /// The gauge `name` with `labels`, created on first use.
    public func gauge(_ name: String, help: String, labels: [String: String] = [:]) -> Gauge {
        let key = MetricLabels(labels)
        return families.withLock { families in
            var family = families[name] ?? Family(kind: .gauge, help: help)
            precondition(family.kind == .gauge, "metric \(name) registered with another type")
            if let existing = family.gauges[key] { return existing }
            let gauge = Gauge()
            family.gauges[key] = gauge
            families[name] = family
            return gauge
        }
    }

    /// The histogram `name` with `labels`; `buckets` are upper bounds in the metric's unit.
    public func histogram(_ name: String, help: String, labels: [String: String] = [:],
                          buckets: [Double] = Histogram.latencySecondsBuckets) -> Histogram {
        let key = MetricLabels(labels)
        return families.withLock { families in
            var family = families[name] ?? Family(kind: .histogram, help: help, buckets: buckets)
            precondition(family.kind == .histogram, "metric \(name) registered with another type")
            if let existing = family.histograms[key] { return existing }
            let histogram = Histogram(buckets: family.buckets)
            family.histograms[key] = histogram
            families[name] = family
            return histogram
        }
    }

    /// Prometheus text exposition of every series, families sorted by name.
    public func render() -> String {
        let snapshot = families.withLock { $0 }
        var out = ""
        for name in snapshot.keys.sorted() {
            guard let family = snapshot[name] else { continue }
            out += "# HELP \(name) \(family.help)\n# TYPE \(name) \(family.kind.rawValue)\n"
            switch family.kind {
            case .counter:
                for (labels, counter) in family.counters.sorted(by: { $0.key.rendered() < $1.key.rendered() }) {
                    out += "\(name)\(labels.rendered()) \(counter.value)\n"
                }
            case .gauge:
                for (labels, gauge) in family.gauges.sorted(by: { $0.key.rendered() < $1.key.rendered() }) {
                    out += "\(name)\(labels.rendered()) \(Self.format(gauge.value))\n"
                }
            case .histogram:
                for (labels, histogram) in family.histograms.sorted(by: { $0.key.rendered() < $1.key.rendered() }) {
                    let snap = histogram.snapshot()
                    var cumulative: UInt64 = 0
                    for (bound, count) in zip(family.buckets, snap.bucketCounts) {
                        cumulative += count
                        out += "\(name)_bucket\(labels.rendered(extra: ("le", Self.format(bound)))) \(cumulative)\n"
                    }
                    out += "\(name)_bucket\(labels.rendered(extra: ("le", "+Inf"))) \(snap.count)\n"
                    out += "\(name)_sum\(labels.rendered()) \(Self.format(snap.sum))\n"
                    out += "\(name)_count\(labels.rendered()) \(snap.count)\n"
                }
            }
        }
        return out
    }

    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
