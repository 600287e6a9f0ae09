// A self-contained HTML report (inline SVG, no scripts, no network): latency versus throughput
// across a sweep, and the percentile curve of a run. Opens in any browser, offline.

import Foundation

/// Renders load results as an HTML page.
public struct HTMLReport: Sendable {
    public var title: String
    public var steps: [SweepStep]
    /// The run whose percentile curve is drawn.
    public var focus: LoadResult

    public init(title: String, steps: [SweepStep], focus: LoadResult) {
        self.title = title
        self.steps = steps
        self.focus = focus
    }

    static let percentiles: [Double] = [50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100]

    public func render() -> String {
        var html = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
        <style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse}
        td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}svg{background:#fafafa;border:1px solid #ddd}
        </style></head><body>
        <h1>\(escape(title))</h1>
        <h2>Latency versus throughput</h2>
        \(throughputPlot())
        <h2>Latency by percentile</h2>
        \(percentilePlot())
        <h2>Steps</h2>
        <table><tr><th>offered/s</th><th>achieved/s</th><th>p50 ms</th><th>p99 ms</th><th>p99.9 ms</th>
        <th>max ms</th><th>errors</th></tr>
        """
        for step in steps {
            let l = step.result.latency
            html += "<tr><td>\(fmt(step.offeredRate))</td><td>\(fmt(step.result.throughput))</td>"
            html += "<td>\(ms(l.percentile(50)))</td><td>\(ms(l.percentile(99)))</td><td>\(ms(l.percentile(99.9)))</td>"
            html += "<td>\(ms(l.maximum))</td><td>\(step.result.errorCount)</td></tr>\n"
        }
        return html + "</table></body></html>\n"
    }

    private func throughputPlot() -> String {
        let series: [(String, String, Double)] = [("p50", "#1f77b4", 50), ("p99", "#d62728", 99), ("p99.9", "#9467bd", 99.9)]
        let xs = steps.map(\.result.throughput)
        let ys = steps.flatMap { step in series.map { Double(step.result.latency.percentile($0.2)) / 1e6 } }
        let plot = Plot(xMax: (xs.max() ?? 1) * 1.05, yMax: max(ys.max() ?? 1, 0.001) * 1.1,
                        xLabel: "achieved throughput (calls/s)", yLabel: "latency (ms)")
        var svg = plot.frame(id: "latency-vs-throughput")
        for (name, color, p) in series {
            let points = steps.sorted { $0.result.throughput < $1.result.throughput }
                .map { (x: $0.result.throughput, y: Double($0.result.latency.percentile(p)) / 1e6) }
            svg += plot.polyline(points, color: color, name: name)
        }
        return svg + plot.legend(series.map { ($0.0, $0.1) }) + "</svg>"
    }

    private func percentilePlot() -> String {
        // x = -log10(1 - p/100): 50 % → 0.3, 99 % → 2, 99.9 % → 3, 99.99 % → 4.
        func position(_ p: Double) -> Double { p >= 100 ? 5 : -log10(1 - p / 100) }
        let points = Self.percentiles.map { (x: position($0), y: Double(focus.latency.percentile($0)) / 1e6) }
        var plot = Plot(xMax: 5.2, yMax: max(points.map(\.y).max() ?? 1, 0.001) * 1.1,
                        xLabel: "percentile (log scale of 1 − p)", yLabel: "latency (ms)")
        plot.xTicks = [(50, "p50"), (90, "p90"), (99, "p99"), (99.9, "p99.9"), (99.99, "p99.99"), (100, "max")]
            .map { (position($0.0), $0.1) }
        return plot.frame(id: "percentile-curve") + plot.polyline(points, color: "#2ca02c", name: "latency")
            + plot.legend([("latency", "#2ca02c")]) + "</svg>"
    }

    private func escape(_ text: String) -> String {
        text.replacingAll("&", "&amp;").replacingAll("<", "&lt;").replacingAll(">", "&gt;")
    }
}

/// Axis mapping and SVG primitives for one 640×360 chart.
struct Plot {
    let width = 640.0, height = 360.0, margin = 56.0
    var xMax: Double
    var yMax: Double
    var xLabel: String
    var yLabel: String
    /// Labelled x positions instead of five evenly spaced numbers (e.g. percentiles on a log axis).
    var xTicks: [(value: Double, label: String)]? = nil

    func x(_ value: Double) -> Double { margin + value / max(xMax, 1e-9) * (width - 2 * margin) }
    func y(_ value: Double) -> Double { height - margin - value / max(yMax, 1e-9) * (height - 2 * margin) }

    func frame(id: String) -> String {
        var svg = "<svg id=\"\(id)\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\">"
        svg += "<line x1=\"\(margin)\" y1=\"\(height - margin)\" x2=\"\(width - margin)\" y2=\"\(height - margin)\" stroke=\"#333\"/>"
        svg += "<line x1=\"\(margin)\" y1=\"\(margin)\" x2=\"\(margin)\" y2=\"\(height - margin)\" stroke=\"#333\"/>"
        let ticks = xTicks ?? (0...4).map { (xMax * Double($0) / 4, fmt(xMax * Double($0) / 4)) }
        for tick in ticks {
            svg += "<text x=\"\(x(tick.value))\" y=\"\(height - margin + 16)\" font-size=\"11\" text-anchor=\"middle\">\(tick.label)</text>"
        }
        for tick in 0...4 {
            let yv = yMax * Double(tick) / 4
            svg += "<text x=\"\(margin - 6)\" y=\"\(y(yv) + 4)\" font-size=\"11\" text-anchor=\"end\">\(fmt(yv))</text>"
        }
        svg += "<text x=\"\(width / 2)\" y=\"\(height - 12)\" font-size=\"12\" text-anchor=\"middle\">\(xLabel)</text>"
        svg += "<text x=\"14\" y=\"\(height / 2)\" font-size=\"12\" text-anchor=\"middle\" "
        svg += "transform=\"rotate(-90 14 \(height / 2))\">\(yLabel)</text>"
        return svg
    }

    func polyline(_ points: [(x: Double, y: Double)], color: String, name: String) -> String {
        let coordinates = points.map { "\(x($0.x)),\(y($0.y))" }.joined(separator: " ")
        var svg = "<polyline class=\"series\" data-name=\"\(name)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(coordinates)\"/>"
        for point in points {
            svg += "<circle cx=\"\(x(point.x))\" cy=\"\(y(point.y))\" r=\"3\" fill=\"\(color)\"/>"
        }
        return svg
    }

    func legend(_ entries: [(String, String)]) -> String {
        var svg = ""
        for (index, entry) in entries.enumerated() {
            let top = margin + Double(index) * 16
            svg += "<rect x=\"\(width - margin - 70)\" y=\"\(top - 9)\" width=\"10\" height=\"10\" fill=\"\(entry.1)\"/>"
            svg += "<text x=\"\(width - margin - 55)\" y=\"\(top)\" font-size=\"11\">\(entry.0)</text>"
        }
        return svg
    }
}

func fmt(_ value: Double) -> String {
    if value >= 100 { return String(Int(value.rounded())) }
    if value >= 1 { return String(Double(Int(value * 10)) / 10) }
    return String(Double(Int(value * 1000)) / 1000)
}

func ms(_ nanos: UInt64) -> String { fmt(Double(nanos) / 1e6) }


extension String {
    func replacingAll(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
