// The bundle format without an HSM: what is not a bundle is refused with NOT_A_BUNDLE (never a
// crash), and a parsed bundle serializes back to the same bytes.

import Custody
import Testing

@Suite struct BackupBundleTests {
    static func bundle(header: String, sealed: [UInt8]) -> [UInt8] {
        let json = Array(header.utf8)
        let n = UInt32(json.count)
        return Array("PHSMBK1\n".utf8) + [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)]
            + json + sealed
    }

    static let header = #"{"createdMillis":1,"keys":["k"],"kind":"backup","partitionSerial":"abc","sealKeyLabel":"s","sourceNode":"n"}"#

    @Test func parsesAndRoundTrips() throws {
        let bytes = Self.bundle(header: Self.header, sealed: [UInt8](repeating: 7, count: 12 + 16 + 5))
        let parsed = try BackupBundle(serialized: bytes)
        #expect(parsed.header.keys == ["k"] && parsed.header.kind == "backup" && parsed.header.partitionSerial == "abc")
        #expect(parsed.serialized == bytes)
    }

    @Test func refusesWhatIsNotABundle() {
        let inputs: [[UInt8]] = [
            [], [1, 2, 3], Array("PHSMBK1\n".utf8), Array("PHSMBK2\n".utf8) + [0, 0, 0, 1, 0x7B],
            Self.bundle(header: Self.header, sealed: [1, 2, 3]),  // shorter than IV + tag
            Self.bundle(header: "{not json", sealed: [UInt8](repeating: 0, count: 40)),
            Array("PHSMBK1\n".utf8) + [0xFF, 0xFF, 0xFF, 0xFF] + [UInt8](repeating: 0, count: 64),
        ]
        for input in inputs {
            #expect { _ = try BackupBundle(serialized: input) } throws: { ($0 as? CustodyError)?.reason == "NOT_A_BUNDLE" }
        }
    }
}
