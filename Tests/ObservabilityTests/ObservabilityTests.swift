// Metrics exposition and JSON-lines logging produce what Prometheus and log shippers parse.

import Foundation
import Synchronization
import Testing
@testable import Observability

@Suite struct MetricsTests {
    @Test func rendersCountersGaugesAndHistograms() {
        let registry = MetricsRegistry()
        registry.counter("rpc_errors_total", help: "Errors by code", labels: ["code": "NOT_FOUND"]).increment()
        registry.counter("rpc_errors_total", help: "Errors by code", labels: ["code": "NOT_FOUND"]).increment(by: 2)
        registry.gauge("queue_depth", help: "Queued items", labels: ["backend": "a\"b"]).set(7)
        let histogram = registry.histogram("latency_seconds", help: "Latency", labels: ["method": "Sign"],
                                           buckets: [0.001, 0.01])
        histogram.observe(0.0005)
        histogram.observe(0.005)
        histogram.observe(1.0)
        let text = registry.render()
        #expect(text.contains("# TYPE rpc_errors_total counter\nrpc_errors_total{code=\"NOT_FOUND\"} 3\n"))
        #expect(text.contains("queue_depth{backend=\"a\\\"b\"} 7\n"))
        #expect(text.contains("latency_seconds_bucket{method=\"Sign\",le=\"0.001\"} 1\n"))
        #expect(text.contains("latency_seconds_bucket{method=\"Sign\",le=\"0.01\"} 2\n"))
        #expect(text.contains("latency_seconds_bucket{method=\"Sign\",le=\"+Inf\"} 3\n"))
        #expect(text.contains("latency_seconds_count{method=\"Sign\"} 3\n"))
        #expect(text.contains("latency_seconds_sum{method=\"Sign\"} 1.0055"))
    }

    @Test func concurrentIncrementsAreNotLost() async {
        let counter = MetricsRegistry().counter("c", help: "c")
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 { group.addTask { for _ in 0..<10_000 { counter.increment() } } }
        }
        #expect(counter.value == 80_000)
    }
}

@Suite struct JSONLoggerTests {
    @Test func writesOneParsableObjectPerLine() throws {
        let lines = Mutex<[String]>([])
        let logger = JSONLogger(component: "test", minimum: .info) { line in lines.withLock { $0.append(line) } }
        logger.debug("hidden")
        logger.warning("auth \"failed\"\n", ["identity": "spiffe://x", "count": 3, "ok": .bool(false)])
        let captured = lines.withLock { $0 }
        #expect(captured.count == 1)
        let object = try #require(JSONSerialization.jsonObject(with: Data(captured[0].utf8)) as? [String: Any])
        #expect(object["msg"] as? String == "auth \"failed\"\n")
        #expect(object["level"] as? String == "warning")
        #expect(object["identity"] as? String == "spiffe://x")
        #expect(object["count"] as? Int == 3)
        #expect(object["ok"] as? Bool == false)
        #expect((object["ts"] as? String)?.hasSuffix("Z") == true)
    }
}
