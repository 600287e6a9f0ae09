// A backend's queue: one FIFO per client, served round-robin one request at a time, so a client
// with ten thousand queued batch signatures delays an interactive caller by at most one request
// per other active client per batch. Bounded overall and per client. Not thread-safe: the owning
// backend guards it with its lock.

struct FairQueue {
    private struct ClientFIFO {
        var items: [Job] = []
        var head = 0
        var count: Int { items.count - head }
        mutating func push(_ job: Job) { items.append(job) }
        mutating func pop() -> Job? {
            guard head < items.count else { return nil }
            let job = items[head]
            head += 1
            if head > 64 && head * 2 > items.count { items.removeFirst(head); head = 0 }
            return job
        }
    }

    private var fifos: [String: ClientFIFO] = [:]
    /// Clients with queued work, in service order.
    private var ring: [String] = []
    private var cursor = 0
    private(set) var count = 0

    let capacity: Int
    let perClientLimit: Int

    init(capacity: Int, perClientLimit: Int) {
        self.capacity = capacity
        self.perClientLimit = perClientLimit
    }

    /// Queues `job`; false when the queue or the client's share is full.
    mutating func push(_ job: Job) -> Bool {
        guard count < capacity else { return false }
        if var fifo = fifos[job.client] {
            guard fifo.count < perClientLimit else { return false }
            fifos[job.client] = nil  // keep the FIFO uniquely referenced while mutating
            fifo.push(job)
            fifos[job.client] = fifo
        } else {
            var fifo = ClientFIFO()
            fifo.push(job)
            fifos[job.client] = fifo
            ring.append(job.client)
        }
        count += 1
        return true
    }

    /// Takes up to `max` jobs, one per client in turn.
    mutating func pop(max: Int) -> [Job] {
        var out: [Job] = []
        out.reserveCapacity(Swift.min(max, count))
        while out.count < max, !ring.isEmpty {
            if cursor >= ring.count { cursor = 0 }
            let client = ring[cursor]
            var fifo = fifos.removeValue(forKey: client)!
            if let job = fifo.pop() {
                out.append(job)
                count -= 1
            }
            if fifo.count == 0 {
                ring.remove(at: cursor)
            } else {
                fifos[client] = fifo
                cursor += 1
            }
        }
        return out
    }

    /// Removes and returns everything queued.
    mutating func drain() -> [Job] { pop(max: count) }

    /// Number of clients with queued work.
    var activeClients: Int { ring.count }
}
