import Foundation
import QuillKernels
import XCTest

/// The fuzzer's damage to lengths and completion bodies, and its check of an answer's form.
extension HTTPFuzzTests {
    func length(_ base: inout Base, _ rng: inout SeededGenerator) -> (String, Set<Int>) {
        let size = base.draft.body.count
        switch rng.nextInt(below: 6) {
        case 0:
            base.draft.contentLength = String(size + 1 + rng.nextInt(below: 100))
            return ("Content-Length beyond the body: it never arrives", [408])
        case 1 where size > 0:
            base.draft.contentLength = String(rng.nextInt(below: size))
            return ("Content-Length short of the body", [400])
        case 2:
            base.draft.contentLength = pick(["-1", "1e3", "+5", "0x10", "", "5 5", "abc", "٣"], &rng)
            return ("Content-Length \(base.draft.contentLength!.debugDescription)", [400])
        case 3:
            base.draft.headers.append(("Content-Length", Array(String(size + 1).utf8)))
            base.draft.contentLength = String(size)
            return ("two different Content-Lengths", [400])
        case 4:
            base.draft.headers.append(("Content-Length", Array(String(size).utf8)))
            base.draft.contentLength = String(size)
            return ("the same Content-Length twice", [base.status])
        default:
            base.draft.contentLength = pick(["99999999999999999999999", "65537", "9223372036854775808", "1000000"], &rng)
            return ("Content-Length over the limit", [413])
        }
    }

    /// Bad values for each field of a completion: wrong types, out of range, huge and tiny numbers.
    static let badValues: [String: [String]] = [
        "prompt": ["5", "null", "[]", "{}", "true", #"["the"]"#],
        "max_tokens": ["0", "-1", "65", "1e309", "99999999999999999999", "2.5", #""4""#, "true", "null", "[]", "{}"],
        "temperature": ["-1", "101", "1e309", #""hot""#, "null", "-1e-300"],
        "top_k": ["-1", "2.5", #""x""#, "true", "1e400"],
        "top_p": ["0", "1.5", "-0.1", #""x""#, "1e-400"],
        "seed": ["-1", "1.5", "1e30", #""7""#, "true", "18446744073709551616"],
        "stop": [#"["a", "b"]"#, #""""#, "5", #"[""]"#, "{}"],
        "stream": ["1", #""true""#, "null"],
        "model": ["5", "null", "[]"],
    ]

    /// Fields of a completion that is served, as raw JSON values.
    static let goodValues: [(String, String)] = [
        ("prompt", #""""#), ("prompt", #""the\nkeeper, lit.""#), ("prompt", #""\u0074he""#), ("temperature", "0"), ("top_k", "3"),
        ("top_k", "null"), ("top_p", "0.5"), ("top_p", "1"), ("stop", #""e""#), ("stop", #"["e"]"#), ("stop", "null"), ("seed", "0"),
        ("model", #""anything""#), ("max_tokens", "64"), ("stream", "false"), ("stream", "true"),
    ]

    /// `{"prompt": "the", "max_tokens": 3, "seed": 1}` with `field` set to the raw JSON `value`.
    func completion(_ field: String, _ value: String) -> String {
        var fields = ["prompt": #""the""#, "max_tokens": "3", "seed": "1"]
        fields[field] = value
        return "{" + fields.keys.sorted().map { "\"\($0)\": \(fields[$0]!)" }.joined(separator: ", ") + "}"
    }

    func body(_ base: inout Base, _ rng: inout SeededGenerator) -> (String, Set<Int>) {
        let text: String, expected: Set<Int>, kind: String
        switch rng.nextInt(below: 9) {
        case 0, 1:
            let field = pick(Self.badValues.keys.sorted(), &rng)
            let value = pick(Self.badValues[field]!, &rng)
            (text, expected, kind) = (completion(field, value), [400], "\(field): \(value)")
        case 2:
            let depth = pick([2, 64, 600, 5000, 20000, 32000], &rng)
            let nested = rng.nextInt(below: 2) == 0 ? String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
                : String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth)
            let json = completion(pick(["prompt", "max_tokens", "stop"], &rng), nested)
            (text, expected, kind) = (json, json.utf8.count > 65536 ? [413] : [400], "nested \(depth) deep, \(json.utf8.count) bytes")
        case 3:
            let escaped = pick([#""\ud800""#, #""\udfff the""#, #""\u0000""#, #""A""#, #""ü€""#, #""\t""#, #""日本""#], &rng)
            (text, expected, kind) = (completion("prompt", escaped), [400], "prompt \(escaped) the model cannot take")
        case 4:
            let bytes: [UInt8] = pick([[0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xE2, 0x82]], &rng)
            base.draft.body = Array(#"{"prompt": "the "#.utf8) + bytes + Array(#"", "max_tokens": 2}"#.utf8)
            return ("invalid UTF-8 in the prompt", [400])
        case 5:
            let valid = completion("prompt", #""the""#)
            let broken = [String(valid.prefix(rng.nextInt(below: valid.count))), "", "null", "[1, 2]", #""text""#, "{",
                          "{'prompt': 'a'}", #"{"prompt" "a"}"#, #"{"max_tokens": NaN}"#, #"{"prompt": "a", "bogus": 1}"#, #"{"echo": true}"#]
            (text, expected, kind) = (pick(broken, &rng), [400], "not a completion")
        case 6, 7:
            let (field, value) = pick(Self.goodValues, &rng)
            (text, expected, kind) = (completion(field, value), [200], "\(field): \(value)")
        default:
            if rng.nextInt(below: 2) == 0 {
                // Foundation's JSON reader takes a trailing comma and a repeated key (the last wins).
                let lenient = pick([#"{"prompt": "a", "prompt": "the"}"#, #"{"prompt": "a",}"#], &rng)
                (text, expected, kind) = (lenient, [200, 400], "JSON that Foundation reads leniently")
            } else {
                (text, expected, kind) = (String(repeating: " ", count: 65537), [413], "a body over the limit")
            }
        }
        base.draft.body = Array(text.utf8)
        return (kind, expected)
    }

    /// The status of a well-formed answer: a status line, header lines, `Connection: close`, a
    /// body as long as its Content-Length says (or a whole event stream, or nothing for 204), and
    /// a JSON error for every refusal. Nil (and a failure naming `label`) otherwise.
    func wellFormedStatus(_ answer: [UInt8], _ label: String) -> Int? {
        let terminator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, answer.count - 3)).first(where: { answer[$0..<($0 + 4)].elementsEqual(terminator) }) else {
            XCTFail("\(label): no whole response head in \(answer.count) bytes: \(String(decoding: answer.prefix(80), as: UTF8.self).debugDescription)")
            return nil
        }
        let lines = String(decoding: answer[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ", maxSplits: 2)
        guard lines[0].hasPrefix("HTTP/1.1 "), parts.count == 3, parts[1].count == 3, let status = Int(parts[1]), (100...599).contains(status) else {
            XCTFail("\(label): malformed status line \(lines[0].debugDescription)")
            return nil
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":"), colon > line.startIndex, !line[..<colon].contains(" ") else {
                XCTFail("\(label): malformed header line \(line.debugDescription)")
                return nil
            }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        XCTAssertEqual(headers["connection"], "close", label)
        let body = Array(answer[(end + 4)...])
        if let length = headers["content-length"] {
            XCTAssertEqual(Int(length), body.count, "\(label): Content-Length")
        } else if status == 204 {
            XCTAssertEqual(body, [], "\(label): a 204 has no body")
        } else {
            XCTAssertEqual(headers["content-type"], "text/event-stream", "\(label): no Content-Length")
            XCTAssertTrue(String(decoding: body, as: UTF8.self).hasSuffix("data: [DONE]\n\n"), "\(label): the stream ends")
        }
        if status >= 400 {
            let error = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
            XCTAssertNotNil((error?["error"] as? [String: Any])?["message"] as? String, "\(label): a refusal says why")
        }
        return status
    }
}
