import Foundation
import QuillServer
import XCTest

/// `POST /v1/inspect` and the page's Inspect tab: the same renderer as `quill inspect`, the
/// server's access rules, and a bound on the text.
final class ServerInspectTests: XCTestCase {
    func start(_ access: AccessPolicy = .loopbackOnly) throws -> InProcessServer {
        let server = try InProcessServer(access: access)
        addTeardownBlock { XCTAssertTrue(server.stop(), "the server stops when asked") }
        return server
    }

    func testInspectAnswersThePageDataUnderTheAccessRules() throws {
        let s = try start(try AccessPolicy(loopbackHostsOnly: true, apiKey: "s3cret-key"))
        let own = "127.0.0.1:\(s.port)"
        let body = #"{"text": "the lamp, the keeper.\nthe sea", "top_k": 3}"#
        let keyed: [(String, String)] = [("Host", own), ("Authorization", "Bearer s3cret-key")]
        let reply = try XCTUnwrap(s.request("POST", "/v1/inspect", headers: keyed, body: body))
        XCTAssertEqual(reply.status, 200, reply.body)
        let data = try XCTUnwrap(reply.json)
        XCTAssertEqual(data["text"] as? String, "the lamp, the keeper.\nthe sea")
        XCTAssertEqual((data["ids"] as? [Int])?.count, 29)
        XCTAssertEqual(((data["guesses"] as? [[Int]])?[1].count), 6, "three guesses of (id, probability)")
        // The key, the Host check and the Origin check hold for it as for completions.
        XCTAssertEqual(s.request("POST", "/v1/inspect", headers: [("Host", own)], body: body)?.status, 401)
        XCTAssertEqual(s.request("POST", "/v1/inspect", headers: keyed + [("Origin", "http://evil.example")], body: body)?.status, 403)
        XCTAssertEqual(s.request("POST", "/v1/inspect", headers: [("Host", "evil.example"), ("Authorization", "Bearer s3cret-key")],
                                 body: body)?.status, 403)
        // Bad bodies are refused naming the field.
        let long = String(repeating: "a", count: InspectRequest.maximumCharacters + 1)
        for (bad, field) in [(#"{"text": "\#(long)"}"#, "text"), (#"{"text": 5}"#, "text"), (#"{"text": "ab", "top_k": 0}"#, "top_k"),
                             (#"{"text": "ab", "colour": 1}"#, "colour"), (#"{"text": "a"}"#, "text")] {
            let refused = try XCTUnwrap(s.request("POST", "/v1/inspect", headers: keyed, body: bad))
            XCTAssertEqual(refused.status, 400, refused.body)
            XCTAssertEqual((refused.json?["error"] as? [String: Any])?["param"] as? String, field, refused.body)
        }
        XCTAssertEqual(s.request("GET", "/v1/inspect", headers: keyed)?.status, 405)
    }

    func testThePageAndTheFileShareOneRenderer() throws {
        let s = try start()
        let page = try XCTUnwrap(s.request("GET", "/", headers: [("Host", "127.0.0.1:\(s.port)")]))
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.body.contains(InspectionRenderer.script))
        XCTAssertTrue(page.body.contains(InspectionRenderer.css))
        XCTAssertTrue(page.body.contains(#"id="tab-inspect""#))
        XCTAssertEqual(CLIInspectTests.remoteReferences(in: page.body), [])
        // The renderer names no address at all, so neither page can fetch anything through it.
        XCTAssertFalse(InspectionRenderer.script.contains("http"))
        XCTAssertFalse(InspectionRenderer.css.contains("http"))
    }
}
