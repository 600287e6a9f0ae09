// Renders a proto enum as a Swift struct over its Int32 wire value with one static constant per
// value. A struct rather than a Swift enum because proto3 enums are open: a peer built from a
// newer schema may send a value this build does not know, and it must survive a round trip.

/// Emits the Swift declaration of one enum.
struct EnumRenderer {
    let info: EnumInfo

    func render(into writer: inout CodeWriter) {
        let name = info.decl.name
        writer.doc(info.decl.comment ?? "The proto enum `\(info.decl.fullName)`.")
        writer.block("public struct \(name): RawRepresentable, Hashable, Sendable, CaseIterable, "
                     + "CustomStringConvertible {") { writer in
            writer.line("/// The wire value; values this build does not know are kept as they are.")
            writer.line("public var rawValue: Int32")
            writer.line()
            writer.line("public init(rawValue: Int32) { self.rawValue = rawValue }")
            for (value, caseName) in zip(info.decl.values, info.caseNames) {
                writer.line()
                writer.doc(value.comment ?? "`\(value.name)` = \(value.number).")
                writer.line("public static let \(caseName) = Self(rawValue: \(value.number))")
            }
            writer.line()
            writer.line("/// The values declared in the .proto, in declaration order.")
            let all = info.caseNames.map { ".\($0)" }.joined(separator: ", ")
            writer.line("public static let allCases: [\(name)] = [\(all)]")
            writer.line()
            writer.line("/// The .proto name of the value, or the number of a value this build does not know.")
            writer.block("public var description: String {") { writer in
                writer.line("switch rawValue {")
                var seen: Set<Int32> = []
                for value in info.decl.values where seen.insert(value.number).inserted {
                    writer.line("case \(value.number): \(SwiftNaming.stringLiteral(value.name))")
                }
                writer.line("default: \"\(name)(\\(rawValue))\"")
                writer.line("}")
            }
        }
    }
}
