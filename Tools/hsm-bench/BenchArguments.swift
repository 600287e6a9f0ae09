// Command-line options of hsm-bench (no secrets: PINs come from the token folder's PIN file).

struct BenchArguments {
    let values: [String]
    init(_ values: [String]) { self.values = values }

    func flag(_ name: String) -> Bool { values.contains(name) }

    func string(_ name: String, default fallback: String) -> String {
        guard let i = values.firstIndex(of: name), i + 1 < values.count else { return fallback }
        return values[i + 1]
    }

    func double(_ name: String, default fallback: Double) -> Double { Double(string(name, default: "")) ?? fallback }

    /// These arguments with `name` set to `value` (replaced if present).
    func setting(_ name: String, to value: String) -> BenchArguments {
        var copy = values
        if let i = copy.firstIndex(of: name), i + 1 < copy.count { copy[i + 1] = value } else { copy += [name, value] }
        return BenchArguments(copy)
    }
}
