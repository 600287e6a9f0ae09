// Whole microseconds of a Duration, for the integer fields of the worker framing and counters.

extension Duration {
    /// This duration in whole microseconds (truncated towards zero).
    var wholeMicroseconds: Int64 { components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000 }
}
