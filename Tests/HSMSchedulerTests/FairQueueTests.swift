// Pure tests of the per-client round-robin queue (reached through the scheduler's internals).

@testable import HSMScheduler
import PKCS11
import Testing

@Suite("Fair queue")
struct FairQueueTests {
    static func job(_ client: String, _ n: UInt8) -> Job {
        Job(key: KeyReference(id: [n]), operation: .sign(message: [n], mechanism: .ed25519, ecdsaFormat: .raw),
            client: client, deadline: .now + .seconds(60))
    }

    @Test("clients are served one request each in turn, FIFO within a client")
    func roundRobin() {
        var q = FairQueue(capacity: 100, perClientLimit: 100)
        var accepted: [Bool] = []
        for n in 0..<5 { accepted.append(q.push(Self.job("bulk", UInt8(n)))) }
        accepted.append(q.push(Self.job("a", 100)))
        accepted.append(q.push(Self.job("b", 200)))
        accepted.append(q.push(Self.job("a", 101)))
        #expect(accepted.allSatisfy { $0 })
        let first = q.pop(max: 4).map { ($0.client, $0.key.id[0]) }
        #expect(first.map(\.0) == ["bulk", "a", "b", "bulk"])
        #expect(first.map(\.1) == [0, 100, 200, 1])
        let rest = q.drain().map { ($0.client, $0.key.id[0]) }
        #expect(rest.map(\.1) == [101, 2, 3, 4])
        #expect(q.count == 0 && q.activeClients == 0)
    }

    @Test("the queue and each client's share are bounded")
    func bounds() {
        var q = FairQueue(capacity: 5, perClientLimit: 3)
        var results: [Bool] = []
        for n in 0..<3 { results.append(q.push(Self.job("x", UInt8(n)))) }
        #expect(results == [true, true, true])
        let overClient = q.push(Self.job("x", 9))
        #expect(!overClient, "per-client limit")
        let y1 = q.push(Self.job("y", 1)), y2 = q.push(Self.job("y", 2))
        #expect(y1 && y2)
        let overTotal = q.push(Self.job("z", 1))
        #expect(!overTotal, "total capacity")
        let popped = q.pop(max: 100)
        #expect(popped.count == 5)
        let again = q.push(Self.job("z", 1))
        #expect(again, "space again after draining")
    }
}
