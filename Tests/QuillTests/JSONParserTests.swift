import Foundation
import QuillCore
import QuillKernels
import Quill
import QuillServer
import XCTest

/// The strict JSON reader, checked against Foundation's JSONSerialization as the independent
/// reader: every text ours accepts, Foundation accepts with the same value; and the texts the
/// standard forbids (which Foundation on Linux partly accepts) are refused with their offset.
final class JSONParserTests: XCTestCase {
    /// Foundation's reading of `bytes` as a JSONValue, or nil when it refuses it.
    private func foundation(_ bytes: [UInt8]) -> JSONValue? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) else { return nil }
        func convert(_ any: Any) -> JSONValue? {
            switch any {
            case is NSNull: return .null
            case let s as String: return .string(s)
            case let n as NSNumber:
                let kind = String(cString: n.objCType)
                return kind == "c" || kind == "B" ? .bool(n.boolValue) : .number(n.doubleValue)
            case let a as [Any]:
                let items = a.compactMap(convert)
                return items.count == a.count ? .array(items) : nil
            case let o as [String: Any]:
                var members: [String: JSONValue] = [:]
                for (k, v) in o { guard let c = convert(v) else { return nil }; members[k] = c }
                return .object(members)
            default: return nil
            }
        }
        return convert(object)
    }

    func testReadsWhatTheStandardAllows() throws {
        let text = #" { "a": [1, -2.5, 3e2, 0, -0.0, 1E-3, true, false, null], "b\u00e9\"\\\/\n": "x\ud83d\ude00y", "c": {}, "d": [] } "#
        let value = try JSONParser.parse(Array(text.utf8))
        XCTAssertEqual(value, foundation(Array(text.utf8)))
        XCTAssertEqual(value.object?["bé\"\\/\n"]?.string, "x😀y")
        XCTAssertEqual(value.object?["a"]?.items.count, 9)
        XCTAssertEqual(try JSONParser.parse(Array("\"é\"".utf8)), .string("é"))
        XCTAssertEqual(try JSONParser.parse(Array("[\"ü€😀a\u{10FFFF}\"]".utf8)), .array([.string("ü€😀a\u{10FFFF}")]))
    }

    func testRefusesWhatTheStandardForbids() {
        let cases: [(String, String)] = [
            (#"{"a": 1,}"#, "member name"), ("[1, 2,]", "expected a value"), (#"{"a": 1, "a": 2}"#, "appears twice"),
            ("01", "leading zero"), (".5", "expected a value"), ("1.", "after the decimal point"), ("1e", "exponent"),
            ("NaN", "expected a value"), ("Infinity", "expected a value"), ("1e400", "out of range"), ("tru", "expected a value"),
            ("\"a\tb\"", "control character"), (#""\x""#, "unknown escape"), (#""\ud800""#, "lone high surrogate"),
            (#""\udc00""#, "lone low surrogate"), (#""\u12""#, "four hex digits"), ("\"abc", "ends inside a string"),
            ("{} {}", "text after"), ("", "ends where a value"), ("[1 2]", "',' or ']'"), ("// c\n1", "expected a value"),
            (String(repeating: "[", count: 600) + String(repeating: "]", count: 600), "nested more than"),
        ]
        for (text, problem) in cases {
            XCTAssertThrowsError(try JSONParser.parse(Array(text.utf8)), text) { error in
                XCTAssertTrue("\(error)".contains(problem), "\(text): \(error)")
            }
        }
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xC0, 0xAF, 0x22]] {
            XCTAssertThrowsError(try JSONParser.parse(bytes), "\(bytes)") { XCTAssertTrue("\($0)".contains("not UTF-8"), "\($0)") }
        }
        XCTAssertEqual((try? JSONParser.parse(Array(#"{"a": 1, "a": 2}"#.utf8))) as JSONValue?, nil)
    }

    /// Seeded mutations of valid documents: whatever ours accepts, Foundation accepts with the same
    /// value (ours is a subset of what Foundation reads), and both outcomes occur.
    func testMutationsAgreeWithFoundation() {
        let seeds = [#"{"prompt": "Hi\n", "max_tokens": 12, "stop": ["a", "b"], "stream": false, "x": null}"#,
                     #"[1.5, -2e-3, {"k": [true, {"z": "\u00e9ü€😀"}]}, "q\"r"]"#,
                     #"{"hidden": [256, 512], "lr": [0.001, 0.005], "cell": "lstm"}"#]
        let alphabet = Array(#"{}[]",:.-+eE0123456789 \tnulltruefalse\"#.utf8) + [0xC3, 0xA9, 0xFF]
        var rng = SeededGenerator(seed: 26)
        var accepted = 0, refused = 0
        for index in 0..<1500 {
            var bytes = Array(seeds[index % seeds.count].utf8)
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                let at = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 3 {
                case 0: bytes.remove(at: at)
                case 1: bytes.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: at)
                default: bytes[at] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                }
                if bytes.isEmpty { bytes = [0x30] }
            }
            if let ours = try? JSONParser.parse(bytes) {
                accepted += 1
                XCTAssertEqual(ours, foundation(bytes), "case \(index) (seed 26): \(String(decoding: bytes, as: UTF8.self))")
            } else {
                refused += 1
            }
        }
        XCTAssertGreaterThan(accepted, 100)
        XCTAssertGreaterThan(refused, 100)
    }

    func testSafeTensorsHeaderNamingATensorTwiceIsRefused() {
        let header = #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        let h = Array(header.utf8)
        let bytes = withUnsafeBytes(of: UInt64(h.count).littleEndian, Array.init) + h + [UInt8](repeating: 0, count: 8)
        XCTAssertThrowsError(try SafeTensors(bytes: bytes)) { XCTAssertTrue("\($0)".contains("\"w\" appears twice"), "\($0)") }
    }

    func testRequestsAndSearchSpacesWithRepeatedKeysOrTrailingCommasAreRefused() {
        for body in [#"{"prompt": "a", "prompt": "b"}"#, #"{"prompt": "a",}"#] {
            XCTAssertThrowsError(try CompletionRequest(json: Array(body.utf8), maximumTokens: 10), body) { error in
                XCTAssertTrue("\(error)".contains("not valid JSON"), "\(error)")
            }
        }
        for text in [#"{"hidden": [256, 512], "hidden": [64, 128]}"#, #"{"hidden": [256, 512],}"#] {
            XCTAssertThrowsError(try SearchSpace(json: text), text) { error in
                XCTAssertTrue("\(error)".contains("not JSON"), "\(error)")
            }
        }
    }
}
