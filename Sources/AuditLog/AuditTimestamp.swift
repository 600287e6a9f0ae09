// Record times: wall-clock milliseconds since the Unix epoch, written as RFC 3339 UTC with exactly
// three fraction digits ("2025-01-31T23:59:59.123Z"). Formatting is hand-written because it runs
// once per record on the writer thread, and one fixed shape keeps the canonical bytes unique.

#if canImport(Glibc)
import Glibc
#endif

/// A point in wall-clock time with millisecond precision.
public struct AuditTimestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public var unixMillis: Int64

    public init(unixMillis: Int64) { self.unixMillis = unixMillis }

    /// The current wall-clock time.
    public static func now() -> AuditTimestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return AuditTimestamp(unixMillis: Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000)
    }

    public static func < (lhs: AuditTimestamp, rhs: AuditTimestamp) -> Bool { lhs.unixMillis < rhs.unixMillis }

    public var description: String { String(decoding: rfc3339Bytes, as: UTF8.self) }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`, 24 ASCII bytes (years 0000–9999).
    public var rfc3339Bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(24)
        let parts = civil
        func two(_ value: Int) { out.append(0x30 + UInt8(value / 10)); out.append(0x30 + UInt8(value % 10)) }
        two(parts.year / 100); two(parts.year % 100)
        out.append(UInt8(ascii: "-")); two(parts.month)
        out.append(UInt8(ascii: "-")); two(parts.day)
        out.append(UInt8(ascii: "T")); two(parts.hour)
        out.append(UInt8(ascii: ":")); two(parts.minute)
        out.append(UInt8(ascii: ":")); two(parts.second)
        out.append(UInt8(ascii: "."))
        out.append(0x30 + UInt8(parts.millisecond / 100)); two(parts.millisecond % 100)
        out.append(UInt8(ascii: "Z"))
        return out
    }

    /// A compact form for file names: `YYYYMMDDTHHMMSSmmmZ`.
    var compactText: String {
        String(decoding: rfc3339Bytes.filter { $0 != UInt8(ascii: "-") && $0 != UInt8(ascii: ":")
            && $0 != UInt8(ascii: ".") }, as: UTF8.self)
    }

    /// Parses exactly the shape ``rfc3339Bytes`` writes; `nil` for anything else.
    public init?(rfc3339 bytes: some Collection<UInt8>) {
        let b = Array(bytes)
        guard b.count == 24, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T"),
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"), b[19] == UInt8(ascii: "."),
              b[23] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                guard b[index] >= 0x30, b[index] <= 0x39 else { return nil }
                value = value * 10 + Int(b[index] - 0x30)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              let millis = number(20..<23), (1...12).contains(month), hour < 24, minute < 60, second < 60,
              day >= 1, day <= AuditTimestamp.daysInMonth(year: year, month: month) else { return nil }
        let days = AuditTimestamp.daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        self.unixMillis = seconds * 1000 + Int64(millis)
    }

    private var civil: (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, millisecond: Int) {
        let millis = unixMillis
        var days = millis / 86_400_000
        var remainder = millis % 86_400_000
        if remainder < 0 { remainder += 86_400_000; days -= 1 }
        let date = AuditTimestamp.civilFromDays(Int(days))
        let secondsOfDay = Int(remainder / 1000)
        return (date.year, date.month, date.day, secondsOfDay / 3600, secondsOfDay / 60 % 60, secondsOfDay % 60,
                Int(remainder % 1000))
    }

    // Proleptic Gregorian calendar arithmetic on 400-year eras (146 097 days each), with years
    // starting on 1 March so the leap day falls at the end.
    private static func civilFromDays(_ daysSinceEpoch: Int) -> (year: Int, month: Int, day: Int) {
        let shifted = daysSinceEpoch + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let marchMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * marchMonth + 2) / 5 + 1
        let month = marchMonth < 10 ? marchMonth + 3 : marchMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let marchYear = month <= 2 ? year - 1 : year
        let era = (marchYear >= 0 ? marchYear : marchYear - 399) / 400
        let yearOfEra = marchYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
