// The dateTime parser/formatter behind validFrom/issuanceDate, nbf/exp and proof timestamps.

import Testing
import Credentials

@Suite struct XSDDateTimeTests {
    @Test(arguments: [
        ("1970-01-01T00:00:00Z", 0, true), ("2023-02-24T23:36:38Z", 1677281798, true),
        ("2010-01-01T19:23:24Z", 1262373804, true), ("2000-02-29T12:00:00+02:00", 951818400, true),
        ("1969-12-31T23:59:59Z", -1, true), ("2024-03-10T10:00:00.123-05:30", 1710084600, true),
        ("2010-01-01T19:23:24", 1262373804, false), ("9999-12-31T23:59:59Z", 253402300799, true),
    ])
    func parses(text: String, seconds: Int64, timezone: Bool) throws {
        let date = try XSDDateTime(text)
        #expect(date.epochSeconds == seconds)
        #expect(date.hasTimezone == timezone)
    }

    @Test(arguments: ["2023-02-30T00:00:00Z", "2023-13-01T00:00:00Z", "2023-00-01T00:00:00Z", "2023-01-01T24:00:00Z",
                      "2023-01-01T00:60:00Z", "2023-01-01T00:00:60Z", "2023-01-01 00:00:00Z", "2023-1-01T00:00:00Z",
                      "2023-01-01T00:00:00.Z", "2023-01-01T00:00:00+2:00", "2023-01-01T00:00:00+15:00",
                      "2023-01-01T00:00:00Zjunk", "1900-02-29T00:00:00Z", "PAST DATE", "", "0000-01-01T00:00:00Z"])
    func refuses(text: String) {
        let error = #expect(throws: CredentialError.self) { try XSDDateTime(text) }
        #expect(error?.code == .invalidDate)
    }

    @Test func formatsUTC() throws {
        for seconds: Int64 in [0, -1, 951_782_400, 1_677_281_798, 253_402_300_799, -62_135_596_800] {
            let text = XSDDateTime(epochSeconds: seconds).utcText
            #expect(try XSDDateTime(text).epochSeconds == seconds, "\(text)")
        }
        #expect(XSDDateTime(epochSeconds: 1_677_281_798).utcText == "2023-02-24T23:36:38Z")
        #expect(XSDDateTime(epochSeconds: -62_135_596_800).utcText == "0001-01-01T00:00:00Z")
    }
}
