// Metrics exposition and JSON-lines logging produce what Prometheus and log shippers parse.

import Foundation
#if canImport(Glibc)
import Glibc
#endif
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

@Suite struct OpsHTTPServerTests {
    /// Fetches a path with a raw HTTP/1.1 request over loopback.
    func get(_ port: UInt16, _ path: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0)
        let request = Array("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var response = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            response.append(contentsOf: buffer[..<count])
        }
        return String(decoding: response, as: UTF8.self)
    }

    @Test func servesMetricsAndProbes() throws {
        let metrics = MetricsRegistry()
        metrics.counter("personahsm_test_total", help: "t").increment()
        let state = Mutex<Readiness>(.ready)
        let server = try OpsHTTPServer(port: 0, metrics: metrics) { state.withLock { $0 } }
        defer { server.stop() }
        let scraped = try get(server.port, "/metrics")
        #expect(scraped.hasPrefix("HTTP/1.1 200 OK"))
        #expect(scraped.contains("personahsm_test_total 1"))
        #expect(try get(server.port, "/healthz").hasPrefix("HTTP/1.1 200"))
        #expect(try get(server.port, "/readyz").contains("ready"))
        state.withLock { $0 = .degraded("no HSM backend reachable") }
        let degraded = try get(server.port, "/readyz")
        #expect(degraded.hasPrefix("HTTP/1.1 200") && degraded.contains("degraded: no HSM backend reachable"))
        state.withLock { $0 = .notReady("audit log unwritable") }
        #expect(try get(server.port, "/readyz").hasPrefix("HTTP/1.1 503"))
        #expect(try get(server.port, "/nope").hasPrefix("HTTP/1.1 404"))
    }

    /// Clients that connect and say nothing must not hold up a scrape (each waits out its own
    /// read timeout on its own worker).
    @Test func silentConnectionsDoNotBlockScrapes() throws {
        let server = try OpsHTTPServer(port: 0, metrics: MetricsRegistry()) { .ready }
        defer { server.stop() }
        var silent: [Int32] = []
        for _ in 0..<5 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = server.port.bigEndian
            inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            silent.append(fd)
        }
        defer { silent.forEach { close($0) } }
        let started = Date()
        #expect(try get(server.port, "/healthz").hasPrefix("HTTP/1.1 200"))
        // Served one at a time this took 5 × 2 s; concurrently it is immediate.
        #expect(Date().timeIntervalSince(started) < 1.9)
    }
}
