import Foundation
import QuillKernels
import QuillServer
import XCTest

/// A seeded mutation fuzzer over `quill serve`'s HTTP surface, on a real socket: each case takes a
/// valid request (the page, the health check, the model, a completion plain or streamed, a CORS
/// preflight) and damages it one way (request line, Host, Origin, Authorization, Content-Length,
/// Transfer-Encoding, junk header bytes, JSON bodies of wrong types, huge numbers, deep nesting or
/// invalid UTF-8), or several ways at once. Every case must get a well-formed answer whose status
/// is one its damage allows (and never 500); a crash or hang fails the whole run. The seed and
/// case number are in every failure message, so a case can be replayed alone.
final class HTTPFuzzTests: XCTestCase {
    static let seed: UInt64 = 20_261_206
    static let cases = 1_500
    static let key = "fuzz-key-0123"
    static let allowedOrigin = "http://localhost:3000"
    /// What any request may get from a server that is never busy here.
    static let anyStatus: Set<Int> = [200, 204, 400, 401, 403, 404, 405, 408, 413, 431, 501, 505]

    /// A request before it is written out.
    struct Draft {
        var method: String, target: String, version = "HTTP/1.1"
        var headers: [(String, [UInt8])] = []
        var body: [UInt8] = []
        /// Written as given; nil: the body's length, for a request with a body.
        var contentLength: String?
        var lineEnd: [UInt8] = [13, 10]
        var leading: [UInt8] = []
        /// Bytes sent in place of all the above.
        var raw: [UInt8]?

        var bytes: [UInt8] {
            if let raw { return raw }
            var lines: [[UInt8]] = [Array("\(method) \(target) \(version)".utf8)]
            lines += headers.map { Array("\($0.0): ".utf8) + $0.1 }
            if let length = contentLength ?? (body.isEmpty ? nil : String(body.count)) { lines.append(Array("Content-Length: \(length)".utf8)) }
            return leading + lines.flatMap { $0 + lineEnd } + lineEnd + body
        }

        mutating func set(_ name: String, _ value: String?) {
            headers.removeAll { $0.0.lowercased() == name.lowercased() }
            if let value { headers.append((name, Array(value.utf8))) }
        }

        func has(_ name: String) -> Bool { headers.contains { $0.0.lowercased() == name.lowercased() } }
    }

    /// A valid request and the status it gets.
    struct Base {
        var draft: Draft
        var status: Int
        var isPreflight: Bool { draft.method == "OPTIONS" }
        var isCompletion: Bool { draft.method == "POST" }
    }

    func testMutatedRequestsGetWellFormedAnswers() throws {
        let access = try AccessPolicy(loopbackHostsOnly: true, allowedOrigins: [Self.allowedOrigin], apiKey: Self.key)
        let server = try InProcessServer(access: access)
        defer { XCTAssertTrue(server.stop(), "the server stops when asked") }
        var rng = SeededGenerator(seed: Self.seed)
        var outcomes = [0, 0] // answered (2xx), refused (4xx, 5xx)
        var statuses: [Int: Int] = [:]
        for index in 0..<Self.cases {
            var base = makeBase(&rng, port: server.port)
            let (kind, expected) = rng.nextInt(below: 5) == 0 ? compound(&base, &rng) : mutate(&base, &rng)
            let label = "seed \(Self.seed) case \(index) (\(kind))"
            guard let answer = server.exchange(base.draft.bytes), let status = wellFormedStatus(answer, label) else { continue }
            XCTAssertTrue(expected.contains(status), "\(label): got \(status), expected one of \(expected.sorted())")
            outcomes[status < 300 ? 0 : 1] += 1
            statuses[status, default: 0] += 1
        }
        print("HTTP fuzz, seed \(Self.seed): " + statuses.keys.sorted().map { "\($0) × \(statuses[$0]!)" }.joined(separator: ", "))
        // Both outcomes must occur, or the mutations are not reaching the routes (or nothing does).
        XCTAssertGreaterThan(outcomes[0], Self.cases / 10, "seed \(Self.seed): too few requests answered")
        XCTAssertGreaterThan(outcomes[1], Self.cases / 2, "seed \(Self.seed): too few requests refused")
        let health = server.request("GET", "/health", headers: [("Host", "localhost")])
        XCTAssertEqual(health?.status, 200, "seed \(Self.seed): the server is healthy afterwards")
        XCTAssertEqual(server.service.busy, 0, "seed \(Self.seed): no generation is left admitted")
    }

    func pick<T>(_ values: [T], _ rng: inout SeededGenerator) -> T { values[rng.nextInt(below: values.count)] }

    /// One of the valid requests, sent by a loopback Host, sometimes with a same-origin or allowed Origin.
    func makeBase(_ rng: inout SeededGenerator, port: Int) -> Base {
        let host = pick(["127.0.0.1:\(port)", "localhost:\(port)", "[::1]:\(port)", "localhost", "127.3.2.1", "LocalHost:\(port)"], &rng)
        var base: Base
        switch rng.nextInt(below: 6) {
        case 0: base = Base(draft: Draft(method: "GET", target: "/"), status: 200)
        case 1: base = Base(draft: Draft(method: "GET", target: "/health"), status: 200)
        case 2: base = Base(draft: Draft(method: "GET", target: "/v1/models"), status: 200)
        case 5: base = Base(draft: Draft(method: "OPTIONS", target: pick(["/v1/completions", "/v1/models"], &rng)), status: 204)
        default:
            var draft = Draft(method: "POST", target: "/v1/completions")
            let stream = rng.nextInt(below: 3) == 0 ? #", "stream": true"# : ""
            draft.body = Array(#"{"prompt": "the keeper", "max_tokens": \#(1 + rng.nextInt(below: 8)), "seed": \#(rng.nextInt(below: 100))\#(stream)}"#.utf8)
            if rng.nextInt(below: 2) == 0 { draft.set("Content-Type", pick(["application/json", "text/plain"], &rng)) }
            base = Base(draft: draft, status: 200)
        }
        base.draft.set("Host", host)
        if base.isPreflight {
            base.draft.set("Origin", Self.allowedOrigin)
            base.draft.set("Access-Control-Request-Method", "POST")
        } else {
            if base.draft.target.hasPrefix("/v1/") { base.draft.set("Authorization", "Bearer \(Self.key)") }
            let origin = pick([nil, nil, "http://\(host)", Self.allowedOrigin], &rng)
            base.draft.set("Origin", origin)
        }
        return base
    }

    /// One damage, and the statuses it allows.
    func mutate(_ base: inout Base, _ rng: inout SeededGenerator) -> (String, Set<Int>) {
        switch rng.nextInt(below: base.isCompletion ? 4 : 3) {
        case 0: return requestLine(&base, &rng)
        case 1: return header(&base, &rng)
        case 2: return length(&base, &rng)
        default: return body(&base, &rng)
        }
    }

    /// Two to four damages, or random bytes: any status but 500 or 503.
    func compound(_ base: inout Base, _ rng: inout SeededGenerator) -> (String, Set<Int>) {
        if rng.nextInt(below: 2) == 0 {
            var bytes = base.draft.bytes
            for _ in 0...rng.nextInt(below: 4) { bytes[rng.nextInt(below: bytes.count)] = UInt8(rng.nextInt(below: 256)) }
            base.draft.raw = bytes
            return ("random bytes", Self.anyStatus)
        }
        var kinds: [String] = []
        for _ in 0..<(2 + rng.nextInt(below: 3)) { kinds.append(mutate(&base, &rng).0) }
        return ("compound: " + kinds.joined(separator: " + "), Self.anyStatus)
    }

    func requestLine(_ base: inout Base, _ rng: inout SeededGenerator) -> (String, Set<Int>) {
        let auth = base.draft.has("Authorization")
        switch rng.nextInt(below: 8) {
        case 0:
            base.draft.method = pick(["G(T", "GE T", "", "GET\u{01}", "{}"], &rng)
            return ("method not a token: \(base.draft.method.debugDescription)", [400])
        case 1:
            let preflight = base.isPreflight
            base.draft.method = pick(["PUT", "DELETE", "PATCH", "HEAD", "get", "BREW", preflight ? "GET" : "OPTIONS"], &rng)
            // A preflight made another method is an API request without its key.
            return ("method \(base.draft.method)", preflight ? [401] : [405])
        case 2:
            base.draft.target = pick(["/nowhere", "/v1/nope", "/health/", "/V1/models", "//health", "/v1"], &rng)
            if base.isPreflight { return ("unknown path \(base.draft.target), preflight", [204]) }
            return ("unknown path \(base.draft.target)", base.draft.target.hasPrefix("/v1/") && !auth ? [401] : [404])
        case 3:
            base.draft.target = pick(["*", "http://localhost/health", "health", "/a\u{7F}b", "/a\u{01}b", "/\u{e9}"], &rng)
            return ("bad target \(base.draft.target.debugDescription)", [400])
        case 4:
            base.draft.target += pick(["?x=1&y", "?", "?prompt=%00"], &rng)
            return ("query", [base.status])
        case 5:
            base.draft.version = pick(["HTTP/2.0", "HTTP/1.2", "HTTP/0.9", "HTTP/", "HTTP/1.1x"], &rng)
            return ("version \(base.draft.version)", [505])
        case 6:
            base.draft.version = pick(["HTTP1.1", "http/1.1", "", "FTP/1.0", "HTTP /1.1"], &rng)
            return ("version \(base.draft.version.debugDescription)", [400])
        default:
            switch rng.nextInt(below: 4) {
            case 0: base.draft.version = "HTTP/1.0"; return ("HTTP/1.0", [base.status])
            case 1: base.draft.lineEnd = [10]; return ("LF line ends", [base.status])
            case 2: base.draft.lineEnd = [13]; return ("CR line ends: the head never ends", [408])
            default: base.draft.leading = [13, 10]; return ("an empty line first", [400])
            }
        }
    }

    func header(_ base: inout Base, _ rng: inout SeededGenerator) -> (String, Set<Int>) {
        let keyed = base.draft.target.hasPrefix("/v1/") && !base.isPreflight
        switch rng.nextInt(below: 12) {
        case 0: base.draft.set("Host", nil); return ("no Host", [400])
        case 1: base.draft.headers.append(("Host", Array("localhost".utf8))); return ("two Hosts", [400])
        case 2:
            base.draft.set("Host", pick(["evil.example", "localhost.evil.example", "127.0.0.1.nip.io", "", "0x7f.0.0.1", "[::2]", "127.1"], &rng))
            return ("foreign Host", [403])
        case 3:
            base.draft.set("Origin", pick(["http://evil.example", "null", "http://localhost:3001", "https://localhost:3000", "file://"], &rng))
            return ("foreign Origin", [403])
        case 4:
            let had = base.draft.has("Origin")
            base.draft.headers.append(("Origin", Array(Self.allowedOrigin.utf8)))
            return (had ? "two Origins" : "an allowed Origin", had ? [400] : [base.status])
        case 5:
            let value = pick([nil, "Bearer wrong", "Bearer \(Self.key)x", "Basic \(Self.key)", "Bearer", Self.key, "Bearer \(Self.key.uppercased())"], &rng)
            if base.isPreflight { return ("Authorization on a preflight", [204]) }
            base.draft.set("Authorization", value)
            return ("Authorization \(value ?? "missing")", keyed ? [401] : [base.status])
        case 6:
            if base.isPreflight { return ("no change", [204]) }
            base.draft.headers.append(("Authorization", Array("Bearer \(Self.key)".utf8)))
            return ("two Authorizations", keyed ? [401] : [base.status])
        case 7:
            let junk: [UInt8] = pick([[0x00], [0x01, 0x41], [0x7F], [0x41, 0x0D, 0x42], [0x1B, 0x5B, 0x41]], &rng)
            base.draft.headers.insert((pick(["X-Junk", "Host", "Origin", "Authorization", "Content-Type"], &rng), junk), at: 0)
            return ("control bytes in a header value", [400])
        case 8:
            let name = pick(["Bad Name", "X(", "", "Héader", "X:Y"], &rng)
            // "X:Y" is a header named X whose value starts with "Y": well formed.
            base.draft.headers.append((name, Array("v".utf8)))
            return ("header name \(name.debugDescription)", name == "X:Y" ? [base.status] : [400])
        case 9:
            base.draft.headers.append(("X-Obs", (0..<8).map { _ in UInt8(0x80 + rng.nextInt(below: 128)) }))
            base.draft.headers += Array(repeating: ("X-A", Array("b".utf8)), count: rng.nextInt(below: 60))
            return ("high bytes and many headers", [base.status])
        case 10:
            base.draft.headers.append(("X-Pad", Array(repeating: 0x61, count: 8200)))
            return ("headers over 8 KiB", [431])
        default:
            base.draft.set("Transfer-Encoding", pick(["chunked", "identity", "gzip, chunked", ""], &rng))
            return ("Transfer-Encoding", [501])
        }
    }
}
