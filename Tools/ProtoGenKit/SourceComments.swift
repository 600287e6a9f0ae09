// Comments from a descriptor's SourceCodeInfo, looked up by the element path protoc records
// (e.g. [4, 2, 2, 0] = message 2, field 0), so doc comments in the .proto reach the Swift code.

internal import CProtoDescriptor

/// The leading (or else trailing) comment of every element of one file, by path.
struct SourceComments {
    private var byPath: [[Int32]: String] = [:]

    init(_ info: UnsafeMutablePointer<Google__Protobuf__SourceCodeInfo>?) {
        guard let info = info?.pointee else { return }
        for index in 0..<info.n_location {
            guard let location = info.location[index]?.pointee else { continue }
            let path = (0..<location.n_path).map { location.path[$0] }
            let leading = SchemaLoader.text(location.leading_comments)
            let trailing = SchemaLoader.text(location.trailing_comments)
            let chosen = Self.clean(leading.isEmpty ? trailing : leading)
            if !chosen.isEmpty, byPath[path] == nil { byPath[path] = chosen }
        }
    }

    /// The comment text of the element at `path`, lines joined by "\n", or nil.
    func comment(at path: [Int32]) -> String? { byPath[path] }

    /// Drops the single space protoc keeps after `//`, trailing blanks and blank edge lines.
    static func clean(_ raw: String) -> String {
        var lines = raw.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            var text = Substring(line)
            if text.first == " " { text = text.dropFirst() }
            while let last = text.last, last == " " || last == "\t" || last == "\r" { text = text.dropLast() }
            return String(text)
        }
        while lines.first?.isEmpty == true { lines.removeFirst() }
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines.joined(separator: "\n")
    }
}
