// A repeated idempotency key returns the first result, concurrent repeats run the operation
// once, a different request under the same key is refused, and failures are not remembered.

import Foundation
import RPCCore
import Synchronization
import Testing
@testable import PersonaServices

@Suite struct IdempotencyCacheTests {
    final class Clock: Sendable {
        let time = Mutex(1000.0)
        func advance(_ seconds: Double) { time.withLock { $0 += seconds } }
        var now: Double { time.withLock { $0 } }
    }

    final class Runs: Sendable {
        let count = Atomic<Int>(0)
    }

    @Test func repeatsReturnTheFirstResultWithinTheWindow() async throws {
        let clock = Clock()
        let cache = IdempotencyCache<String>(window: 60) { clock.now }
        let runs = Runs()
        let first = try await cache.run(key: "k", digest: [1]) { runs.count.add(1, ordering: .relaxed); return "sig-1" }
        let second = try await cache.run(key: "k", digest: [1]) { runs.count.add(1, ordering: .relaxed); return "sig-2" }
        #expect(first == "sig-1" && second == "sig-1")
        #expect(runs.count.load(ordering: .relaxed) == 1)
        clock.advance(61)
        let afterWindow = try await cache.run(key: "k", digest: [1]) { "sig-3" }
        #expect(afterWindow == "sig-3")
    }

    @Test func concurrentRepeatsRunOnce() async throws {
        let cache = IdempotencyCache<Int>(window: 60)
        let runs = Runs()
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    try await cache.run(key: "doc-1", digest: [9]) {
                        runs.count.add(1, ordering: .relaxed)
                        try await Task.sleep(for: .milliseconds(50))
                        return 42
                    }
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(results.count == 50 && results.allSatisfy { $0 == 42 })
        #expect(runs.count.load(ordering: .relaxed) == 1)
    }

    @Test func differentRequestUnderSameKeyIsRefused() async throws {
        let cache = IdempotencyCache<String>(window: 60)
        _ = try await cache.run(key: "k", digest: [1]) { "a" }
        do {
            _ = try await cache.run(key: "k", digest: [2]) { "b" }
            Issue.record("expected INVALID_ARGUMENT")
        } catch let error as RPCError {
            #expect(error.code == .invalidArgument)
        }
    }

    @Test func failuresAreNotRemembered() async throws {
        let cache = IdempotencyCache<String>(window: 60)
        await #expect(throws: RPCError.self) {
            try await cache.run(key: "k", digest: [1]) { throw RPCError(.unavailable, "hsm down") }
        }
        let retried = try await cache.run(key: "k", digest: [1]) { "ok" }
        #expect(retried == "ok")
    }

    @Test func capacityBoundsMemory() async throws {
        let cache = IdempotencyCache<Int>(window: 3600, capacity: 100)
        for index in 0..<500 { _ = try await cache.run(key: "k\(index)", digest: []) { index } }
        #expect(cache.count == 100)
    }
}
