// Which server instance runs automatic rotation and scheduled destruction. Several stateless
// instances share one HSM cluster; if each rotated due keys, a key would get a new version per
// instance. The shared state lives where the keys live, in the HSM cluster, as CKO_DATA objects —
// no consensus protocol of our own: each instance keeps one claim object of its own (so no two
// instances ever write the same object), renewed every tick, holding when it first claimed and
// when the claim expires. The leader is the live claim with the oldest start (instance id breaks
// ties); a claim acts only once it is older than `settle`, so a newcomer has been visible to the
// others before it could act. A dead leader's claim expires after `ttl` and the next-oldest
// instance takes over; the leader removes expired claims.

import Foundation
import PKCS11

/// An instance's claim on running key maintenance.
public final class MaintenanceLease: Sendable {
    /// CKA_APPLICATION of claim objects.
    public static let application = "personahsm/maintenance-lease"

    /// This instance's id (host, pid and a random suffix).
    public let holder: String
    private let node: TokenNode
    private let ttlMillis: Int64
    private let settleMillis: Int64
    private let now: @Sendable () -> Int64
    private let since: Int64

    struct Claim: Codable {
        var holder: String
        var since: Int64
        var expires: Int64
    }

    /// - Parameters:
    ///   - node: a node of the primary cluster (claims replicate with the partition).
    ///   - ttl: how long a claim lives without renewal (several maintenance intervals).
    ///   - settle: how old a claim must be before it may lead.
    public init(node: TokenNode, ttl: Duration, settle: Duration, now: @escaping @Sendable () -> Int64) {
        self.node = node
        self.ttlMillis = Int64(ttl.components.seconds * 1000 + ttl.components.attoseconds / 1_000_000_000_000_000)
        self.settleMillis = Int64(settle.components.seconds * 1000 + settle.components.attoseconds / 1_000_000_000_000_000)
        self.now = now
        since = now()
        let host = ProcessInfo.processInfo.hostName
        holder = "\(host)/\(getpid())/\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Renews this instance's claim and says whether it leads now. False when the HSM cannot be
    /// reached (no instance rotates keys during an outage).
    public func renewAndCheck() async -> Bool {
        let time = now()
        let mine = Claim(holder: holder, since: since, expires: time + ttlMillis)
        let holder = self.holder, since = self.since, settle = settleMillis
        return (try? await node.withSession { session -> Bool in
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try session.storeData(Array(try encoder.encode(mine)), application: Self.application, label: holder)
            var live: [Claim] = []
            for label in try session.dataLabels(application: Self.application) {
                guard let bytes = try session.readData(application: Self.application, label: label),
                      let claim = try? JSONDecoder().decode(Claim.self, from: Data(bytes)) else { continue }
                if claim.expires < time {
                    _ = try? session.deleteData(application: Self.application, label: label)
                } else {
                    live.append(claim)
                }
            }
            let leader = live.min { ($0.since, $0.holder) < ($1.since, $1.holder) }
            return leader?.holder == holder && time - since >= settle
        }) ?? false
    }

    /// Removes this instance's claim (graceful shutdown), so the next one takes over at once.
    public func release() async {
        let holder = self.holder
        _ = try? await node.withSession { session in
            try session.deleteData(application: Self.application, label: holder)
        }
    }
}
