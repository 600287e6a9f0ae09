// A backend's queue: one FIFO per client, served round-robin one request at a time, so a client
// with ten thousand queued batch signatures delays an interactive caller by at most one request
// per other active client per batch. Bounded overall and per client. Not thread-safe: the owning
// backend guards it with its lock. FIFOs live in an array indexed through a dictionary so the hot
// path mutates them in place (no copy-on-write of a FIFO per push).

struct FairQueue {
    private struct ClientFIFO {
        var client = ""
        var items: [Job] = []
        var head = 0
        var count: Int { items.count - head }
        mutating func push(_ job: Job) { items.append(job) }
        mutating func pop() -> Job {
            let job = items[head]
            head += 1
            if head == items.count {
                items.removeAll(keepingCapacity: true)
                head = 0
            } else if head > 64 && head * 2 > items.count {
                items.removeFirst(head)
                head = 0
            }
            return job
        }
    }

    private var slotOf: [String: Int] = [:]
    private var fifos: [ClientFIFO] = []
    private var freeSlots: [Int] = []
    /// Slots of clients with queued work, in service order.
    private var ring: [Int] = []
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
        if let slot = slotOf[job.client] {
            guard fifos[slot].count < perClientLimit else { return false }
            fifos[slot].push(job)
        } else {
            let slot: Int
            if let free = freeSlots.popLast() {
                slot = free
                fifos[slot].client = job.client
            } else {
                slot = fifos.count
                fifos.append(ClientFIFO(client: job.client))
            }
            slotOf[job.client] = slot
            fifos[slot].push(job)
            ring.append(slot)
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
            let slot = ring[cursor]
            out.append(fifos[slot].pop())
            count -= 1
            if fifos[slot].count == 0 {
                ring.remove(at: cursor)
                slotOf[fifos[slot].client] = nil
                freeSlots.append(slot)
            } else {
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
