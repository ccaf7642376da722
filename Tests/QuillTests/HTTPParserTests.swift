import Foundation
import QuillServer
import XCTest

/// The server's HTTP/1.1 request parser, with well-formed and hostile input.
final class HTTPParserTests: XCTestCase {
    let parser = HTTPParser(maximumHeaderBytes: 512, maximumBodyBytes: 64)

    func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    func failure(_ s: String) -> Int? {
        if case .failed(let f) = parser.parse(bytes(s)) { return f.status }
        return nil
    }

    func testWellFormedRequestsInPiecesAndWhole() throws {
        let text = "POST /v1/completions?x=1 HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"prompt\":\"\"}"
        let all = bytes(text)
        // Every prefix is incomplete; the whole is one request.
        for cut in 0..<all.count { XCTAssertEqual(parser.parse(Array(all[0..<cut])), .incomplete, "cut at \(cut)") }
        guard case .complete(let request, let consumed) = parser.parse(all + bytes("GET / HTTP/1.1\r\n")) else { return XCTFail() }
        XCTAssertEqual(consumed, all.count, "pipelined bytes after the body are left")
        XCTAssertEqual(request.method, "POST")
        XCTAssertEqual(request.path, "/v1/completions")
        XCTAssertEqual(request.query, "x=1")
        XCTAssertEqual(request.header("content-type"), "application/json")
        XCTAssertEqual(String(decoding: request.body, as: UTF8.self), "{\"prompt\":\"\"}")
        // Bare LF line ends and a request without a body.
        guard case .complete(let get, _) = parser.parse(bytes("GET /health HTTP/1.0\nX-A:  padded  \n\n")) else { return XCTFail() }
        XCTAssertEqual(get.path, "/health")
        XCTAssertEqual(get.header("x-a"), "padded")
        XCTAssertEqual(get.body, [])
    }

    func testMalformedAndHostileRequests() {
        let cases: [(String, Int)] = [
            ("\r\n\r\n", 400),                                               // no request line
            ("GET\r\n\r\n", 400),                                            // no target or version
            ("GET / HTTP/1.1 extra\r\n\r\n", 400),                           // four parts
            ("GET  / HTTP/1.1\r\n\r\n", 400),                                // double space
            ("GET http://x/ HTTP/1.1\r\n\r\n", 400),                         // absolute form
            ("G(T / HTTP/1.1\r\n\r\n", 400),                                 // method not a token
            ("GET / HTTP/2.0\r\n\r\n", 505),
            ("GET / FTP/1.0\r\n\r\n", 400),
            ("GET /a\u{7F}b HTTP/1.1\r\n\r\n", 400),                         // control byte in the target
            ("GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", 400),              // obsolete folding
            ("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\n: empty name\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nA: b\u{01}c\r\n\r\n", 400),                  // control byte in a value
            ("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nContent-Length: 1e3\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
            ("POST / HTTP/1.1\r\nContent-Length: 65\r\n\r\n", 413),
            ("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999999\r\n\r\n", 413),
            ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501),
            ("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 600) + "\r\n\r\n", 431),
        ]
        for (text, status) in cases { XCTAssertEqual(failure(text), status, text.debugDescription) }
        // Headers that never end are refused once they pass the limit, not buffered for ever.
        XCTAssertEqual(failure("GET / HTTP/1.1\r\n" + String(repeating: "X: y\r\n", count: 200)), 431)
        XCTAssertEqual(parser.parse(bytes("GET / HTTP/1.1\r\nX: y\r\n")), .incomplete)
        // Random bytes never crash the parser and never make a request out of nothing.
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let junk = (0..<Int.random(in: 0...80, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if case .complete(let r, _) = parser.parse(junk) { XCTAssertTrue(r.path.hasPrefix("/")) }
        }
    }
}
