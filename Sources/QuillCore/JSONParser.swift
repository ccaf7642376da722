/// A strict reader of JSON text (RFC 8259) into `JSONValue`. Foundation's readers on Linux accept
/// a trailing comma and take one of two repeated keys without a word; a request, a search space
/// or a safetensors header that means two things must be refused instead, so this reader takes
/// exactly the standard's grammar: no trailing commas, no repeated keys, no comments, no leading
/// zeros or bare `.5`, no NaN/Infinity, no unescaped control characters in strings, valid UTF-8.
package struct JSONParser {
    /// Why a text is not JSON, and the byte offset where that became clear.
    package struct Failure: Error, CustomStringConvertible, Equatable {
        package let offset: Int
        package let problem: String
        package var description: String { "\(problem) at byte \(offset)" }
    }

    /// Deeper nesting is refused: the reader recurses once per level.
    package static let maximumDepth = 512

    private let bytes: [UInt8]
    private var position = 0

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Parses `bytes` as exactly one JSON value, with only whitespace around it.
    package static func parse(_ bytes: [UInt8]) throws(Failure) -> JSONValue {
        var parser = JSONParser(bytes)
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.position == bytes.count else { throw parser.failure("text after the JSON value") }
        return value
    }

    private func failure(_ problem: String) -> Failure { Failure(offset: position, problem: problem) }

    private var next: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipWhitespace() {
        while let b = next, b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { position += 1 }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(Failure) {
        guard next == byte else { throw failure(next == nil ? "the text ends where \(what) should be" : "expected \(what)") }
        position += 1
    }

    private mutating func value(depth: Int) throws(Failure) -> JSONValue {
        guard depth < Self.maximumDepth else { throw failure("nested more than \(Self.maximumDepth) deep") }
        guard let b = next else { throw failure("the text ends where a value should be") }
        switch b {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw failure("expected a value")
        }
    }

    private mutating func literal(_ word: String) throws(Failure) {
        let expected = Array(word.utf8)
        guard bytes.count - position >= expected.count, bytes[position..<position + expected.count].elementsEqual(expected) else {
            throw failure("expected a value")
        }
        position += expected.count
    }

    private mutating func object(depth: Int) throws(Failure) -> JSONValue {
        position += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if next == UInt8(ascii: "}") { position += 1; return .object(members) }
        while true {
            skipWhitespace()
            let keyOffset = position
            guard next == UInt8(ascii: "\"") else { throw failure(next == nil ? "the text ends inside an object" : "expected a member name in quotes") }
            let key = try string()
            guard members[key] == nil else { throw Failure(offset: keyOffset, problem: "the member \"\(key)\" appears twice") }
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "':' after a member name")
            skipWhitespace()
            members[key] = try value(depth: depth + 1)
            skipWhitespace()
            if next == UInt8(ascii: ",") { position += 1; continue }
            try expect(UInt8(ascii: "}"), "',' or '}' in an object")
            return .object(members)
        }
    }

    private mutating func array(depth: Int) throws(Failure) -> JSONValue {
        position += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if next == UInt8(ascii: "]") { position += 1; return .array(items) }
        while true {
            skipWhitespace()
            items.append(try value(depth: depth + 1))
            skipWhitespace()
            if next == UInt8(ascii: ",") { position += 1; continue }
            try expect(UInt8(ascii: "]"), "',' or ']' in an array")
            return .array(items)
        }
    }

    private mutating func number() throws(Failure) -> Double {
        let start = position
        if next == UInt8(ascii: "-") { position += 1 }
        func digits() -> Int {
            let from = position
            while let b = next, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) { position += 1 }
            return position - from
        }
        let integerStart = position
        let integerDigits = digits()
        guard integerDigits > 0 else { throw failure("expected a digit") }
        guard integerDigits == 1 || bytes[integerStart] != UInt8(ascii: "0") else {
            throw Failure(offset: integerStart, problem: "a number with a leading zero")
        }
        if next == UInt8(ascii: ".") {
            position += 1
            guard digits() > 0 else { throw failure("expected a digit after the decimal point") }
        }
        if next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
            position += 1
            if next == UInt8(ascii: "+") || next == UInt8(ascii: "-") { position += 1 }
            guard digits() > 0 else { throw failure("expected a digit in the exponent") }
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            throw Failure(offset: start, problem: "the number \(text) is out of range")
        }
        return value
    }

    private mutating func string() throws(Failure) -> String {
        position += 1
        var scalars = String.UnicodeScalarView()
        // Escapes are handled byte by byte; everything else goes through the UTF-8 decoder, which
        // refuses overlong forms, surrogates and truncated sequences.
        while true {
            guard let b = next else { throw failure("the text ends inside a string") }
            if b == UInt8(ascii: "\"") { position += 1; return String(scalars) }
            if b < 0x20 { throw failure("a control character inside a string (write it as an escape)") }
            if b == UInt8(ascii: "\\") {
                position += 1
                scalars.append(try escape())
                continue
            }
            if b < 0x80 {
                scalars.append(Unicode.Scalar(b))
                position += 1
                continue
            }
            // A fresh decoder each time: one reads ahead, and its buffer belongs to its iterator.
            var iterator = bytes[position...].makeIterator()
            var decoder = UTF8()
            let before = position
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                scalars.append(scalar)
                position = before + UTF8.width(scalar)
            case .emptyInput, .error:
                throw failure("bytes that are not UTF-8 inside a string")
            }
        }
    }

    private mutating func escape() throws(Failure) -> Unicode.Scalar {
        guard let b = next else { throw failure("the text ends inside an escape") }
        position += 1
        switch b {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let unit = try hexUnit()
            if (0xD800...0xDBFF).contains(unit) {
                guard next == UInt8(ascii: "\\"), position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: "u") else {
                    throw failure("a lone high surrogate in a \\u escape")
                }
                position += 2
                let low = try hexUnit()
                guard (0xDC00...0xDFFF).contains(low) else { throw failure("a high surrogate not followed by a low one") }
                return Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))!
            }
            guard let scalar = Unicode.Scalar(unit) else { throw failure("a lone low surrogate in a \\u escape") }
            return scalar
        default:
            throw failure("an unknown escape \\\(Unicode.Scalar(b))")
        }
    }

    private mutating func hexUnit() throws(Failure) -> UInt32 {
        guard bytes.count - position >= 4 else { throw failure("a \\u escape needs four hex digits") }
        var unit: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = hexDigit(bytes[position]) else { throw failure("a \\u escape needs four hex digits") }
            unit = unit << 4 | digit
            position += 1
        }
        return unit
    }

    private func hexDigit(_ b: UInt8) -> UInt32? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(b - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(b - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(b - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }
}
