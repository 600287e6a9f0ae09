// Credentials carry XML Schema dateTime strings (VCDM validFrom/validUntil/issuanceDate, Data
// Integrity created/expires); VC-JWT 1.1 needs them as NumericDate seconds. A tiny exact parser
// and formatter (proleptic Gregorian, days-from-civil arithmetic) keeps Foundation's formatters
// off the issuance hot path and refuses what XML Schema refuses (month 13, Feb 30, hour 24...).

/// An XML Schema 1.1 dateTime value.
public struct XSDDateTime: Sendable, Hashable {
    /// Seconds since 1970-01-01T00:00:00Z (local time minus the offset when one is given).
    public let epochSeconds: Int64
    /// Fractional seconds as written ("" when absent), e.g. "123" for .123.
    public let fraction: String
    /// Whether the text carried `Z` or an offset (a dateTimeStamp); without one the value is
    /// read as UTC.
    public let hasTimezone: Bool

    /// Parses `YYYY-MM-DDThh:mm:ss[.s+][Z|±hh:mm]` (years 0001–9999).
    ///
    /// - Throws: ``CredentialError/Code/invalidDate`` on any deviation.
    public init(_ text: String) throws(CredentialError) {
        let bytes = Array(text.utf8)
        func fail(_ why: String) -> CredentialError {
            CredentialError(.invalidDate, "\"\(text.prefix(40))\" is not an XML Schema dateTime: \(why)")
        }
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[from..<(from + count)] {
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        func at(_ index: Int, _ char: Character) -> Bool { index < bytes.count && bytes[index] == char.asciiValue! }
        guard bytes.count >= 19, let year = number(0, 4), at(4, "-"), let month = number(5, 2), at(7, "-"),
              let day = number(8, 2), at(10, "T"), let hour = number(11, 2), at(13, ":"), let minute = number(14, 2),
              at(16, ":"), let second = number(17, 2) else { throw fail("expected YYYY-MM-DDThh:mm:ss") }
        guard year >= 1, (1...12).contains(month), day >= 1, day <= Self.daysIn(month: month, year: year) else {
            throw fail("no such date")
        }
        guard hour <= 23, minute <= 59, second <= 59 else { throw fail("no such time") }
        var index = 19
        var fraction = ""
        if at(index, ".") {
            index += 1
            let start = index
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
            guard index > start else { throw fail("a '.' needs digits") }
            fraction = String(decoding: bytes[start..<index], as: UTF8.self)
        }
        var offsetSeconds = 0
        var hasTimezone = false
        if at(index, "Z") {
            hasTimezone = true
            index += 1
        } else if at(index, "+") || at(index, "-") {
            let sign = at(index, "-") ? -1 : 1
            guard let offsetHours = number(index + 1, 2), at(index + 3, ":"), let offsetMinutes = number(index + 4, 2),
                  offsetMinutes <= 59, offsetHours * 60 + offsetMinutes <= 14 * 60 else { throw fail("bad timezone offset") }
            offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
            hasTimezone = true
            index += 6
        }
        guard index == bytes.count else { throw fail("unexpected trailing characters") }
        let days = Self.daysFromCivil(year: year, month: month, day: day)
        epochSeconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetSeconds)
        self.fraction = fraction
        self.hasTimezone = hasTimezone
    }

    /// A UTC value from epoch seconds.
    public init(epochSeconds: Int64) {
        self.epochSeconds = epochSeconds
        fraction = ""
        hasTimezone = true
    }

    /// `YYYY-MM-DDThh:mm:ssZ` in UTC (whole seconds; fractions are dropped).
    public var utcText: String {
        let days = epochSeconds >= 0 ? epochSeconds / 86_400 : (epochSeconds - 86_399) / 86_400
        let secondsOfDay = Int(epochSeconds - days * 86_400)
        let (year, month, day) = Self.civilFromDays(Int(days))
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let yearText = String(repeating: "0", count: max(0, 4 - String(year).count)) + String(year)
        return "\(yearText)-\(two(month))-\(two(day))T\(two(secondsOfDay / 3600)):\(two(secondsOfDay / 60 % 60)):\(two(secondsOfDay % 60))Z"
    }

    static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The inverse of ``daysFromCivil(year:month:day:)``.
    static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
