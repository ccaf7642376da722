import Foundation
import Glibc
import QuillServer
import XCTest

/// Who may use `quill serve`: Host names on a loopback bind (DNS rebinding), browser origins and
/// their CORS preflights, the API key, and how many connections one client may hold.
final class ServerAccessTests: XCTestCase {
    let completion = #"{"prompt": "the keeper", "max_tokens": 5, "seed": 1}"#

    func start(_ access: AccessPolicy = .loopbackOnly, limits: HTTPServer.Limits = HTTPServer.Limits()) throws -> InProcessServer {
        let server = try InProcessServer(access: access, limits: limits)
        addTeardownBlock { XCTAssertTrue(server.stop(), "the server stops when asked") }
        return server
    }

    /// The issue's request: a page on another site posting `text/plain` (no preflight) to the
    /// server, through a rebinding name or straight to 127.0.0.1.
    func testAPageOnAnotherSiteCannotDriveALoopbackServer() throws {
        let s = try start()
        let own = "127.0.0.1:\(s.port)"
        let rebound = try XCTUnwrap(s.request("POST", "/v1/completions", headers: [("Host", "evil.example"), ("Origin", "http://evil.example"),
                                                                                   ("Content-Type", "text/plain")], body: completion))
        XCTAssertEqual(rebound.status, 403, rebound.body)
        XCTAssertTrue(((rebound.json?["error"] as? [String: Any])?["message"] as? String ?? "").contains("'evil.example'"), rebound.body)
        for origin in ["http://evil.example", "null", "https://\(own)", "http://localhost:\(s.port)"] {
            let reply = s.request("POST", "/v1/completions", headers: [("Host", own), ("Origin", origin), ("Content-Type", "text/plain")],
                                  body: completion)
            XCTAssertEqual(reply?.status, 403, "Origin \(origin)")
            XCTAssertNil(reply?.headers["access-control-allow-origin"], "Origin \(origin)")
        }
        // The page itself is same-origin: its requests carry an Origin equal to http:// and the Host.
        let page = try XCTUnwrap(s.request("POST", "/v1/completions", headers: [("Host", own), ("Origin", "http://\(own)")], body: completion))
        XCTAssertEqual(page.status, 200, page.body)
        XCTAssertNil(page.headers["access-control-allow-origin"], "same-origin answers need no CORS headers")
        XCTAssertEqual(s.request("GET", "/", headers: [("Host", "localhost:\(s.port)")])?.status, 200)
        XCTAssertEqual(s.request("GET", "/", headers: [("Host", "localhost:\(s.port)"), ("Origin", "http://LocalHost:\(s.port)")])?.status, 200)
    }

    func testALoopbackBindAnswersOnlyToLoopbackHostNames() throws {
        let s = try start()
        let accepted = ["127.0.0.1", "127.0.0.1:\(s.port)", "localhost", "LOCALHOST:80", "127.255.0.9:1", "[::1]", "[::1]:8080",
                        "[0:0:0:0:0:0:0:1]:9"]
        for host in accepted { XCTAssertEqual(s.request("GET", "/health", headers: [("Host", host)])?.status, 200, host) }
        let refused = ["evil.example", "localhost.evil.example", "127.0.0.1.nip.io", "0177.0.0.1", "127.1", "2130706433", "[::2]",
                       "128.0.0.1", "10.0.0.1", "localhost:99999", "localhost:x", "", "[::1", "::1", "127.0.0.1:80:80"]
        for host in refused { XCTAssertEqual(s.request("GET", "/health", headers: [("Host", host)])?.status, 403, host) }
        XCTAssertEqual(s.exchange(Array("GET /health HTTP/1.1\r\n\r\n".utf8)).flatMap(ServerTests.Reply.init(parsing:))?.status, 400,
                       "an HTTP/1.1 request needs a Host")
        XCTAssertEqual(s.exchange(Array("GET /health HTTP/1.0\r\n\r\n".utf8)).flatMap(ServerTests.Reply.init(parsing:))?.status, 200,
                       "HTTP/1.0 may leave it out")
        XCTAssertEqual(s.request("GET", "/health", headers: [("Host", "localhost"), ("Host", "evil.example")])?.status, 400)

        // Bound to another address the server cannot know its names: any Host, still same-origin only.
        let open = try start(AccessPolicy(loopbackHostsOnly: false))
        XCTAssertEqual(open.request("GET", "/health", headers: [("Host", "quill.lan:8080")])?.status, 200)
        XCTAssertEqual(open.request("GET", "/health", headers: [("Host", "quill.lan:8080"), ("Origin", "http://quill.lan:8080")])?.status, 200)
        XCTAssertEqual(open.request("GET", "/health", headers: [("Host", "quill.lan:8080"), ("Origin", "http://evil.example")])?.status, 403)
    }

    func testAllowedOriginsGetPreflightsAndCORSHeaders() throws {
        let s = try start(try AccessPolicy(loopbackHostsOnly: true, allowedOrigins: ["http://localhost:3000", "HTTPS://Tools.Example:443"]))
        let host = ("Host", "127.0.0.1:\(s.port)")
        func preflight(_ origin: String) -> ServerTests.Reply? {
            s.request("OPTIONS", "/v1/completions", headers: [host, ("Origin", origin), ("Access-Control-Request-Method", "POST"),
                                                             ("Access-Control-Request-Headers", "authorization,content-type")])
        }
        for origin in ["http://localhost:3000", "https://tools.example"] {
            let reply = try XCTUnwrap(preflight(origin), origin)
            XCTAssertEqual(reply.status, 204, origin)
            XCTAssertEqual(reply.headers["access-control-allow-origin"], origin)
            XCTAssertEqual(reply.headers["access-control-allow-methods"], "GET, POST")
            XCTAssertEqual(reply.headers["access-control-allow-headers"], "Authorization, Content-Type")
            XCTAssertEqual(reply.headers["vary"], "Origin")
            XCTAssertNil(reply.headers["content-length"], "a 204 has no body length")
        }
        for origin in ["http://localhost:3001", "http://localhost", "https://localhost:3000", "http://tools.example"] {
            XCTAssertEqual(preflight(origin)?.status, 403, origin)
        }
        let origin = ("Origin", "http://localhost:3000")
        let answer = try XCTUnwrap(s.request("POST", "/v1/completions", headers: [host, origin], body: completion))
        XCTAssertEqual(answer.status, 200, answer.body)
        XCTAssertEqual(answer.headers["access-control-allow-origin"], "http://localhost:3000")
        let stream = try XCTUnwrap(s.request("POST", "/v1/completions", headers: [host, origin],
                                             body: #"{"prompt": "the", "max_tokens": 5, "stream": true}"#))
        XCTAssertEqual(stream.headers["content-type"], "text/event-stream")
        XCTAssertEqual(stream.headers["access-control-allow-origin"], "http://localhost:3000", "streamed answers too")
        let refusal = try XCTUnwrap(s.request("POST", "/v1/completions", headers: [host, origin], body: #"{"max_tokens": "x"}"#))
        XCTAssertEqual(refusal.status, 400)
        XCTAssertEqual(refusal.headers["access-control-allow-origin"], "http://localhost:3000", "errors too, so the caller can read them")
        XCTAssertEqual(s.request("OPTIONS", "/v1/completions", headers: [host])?.status, 405, "OPTIONS that is not a preflight")
    }

    func testAnAPIKeyGuardsTheAPIButNotThePageOrTheHealthCheck() throws {
        let s = try start(try AccessPolicy(loopbackHostsOnly: true, allowedOrigins: ["http://localhost:3000"], apiKey: "s3cret-key"))
        let host = ("Host", "localhost:\(s.port)")
        let page = try XCTUnwrap(s.request("GET", "/", headers: [host]))
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.body.contains(#"id="key""#) && page.body.contains("sessionStorage"), "the page has a field for the key")
        // Completions, the model's description and the Inspect tab's inspection: each fetch sends it.
        let fetches = page.body.components(separatedBy: "fetch(").count - 1
        XCTAssertEqual(fetches, 3)
        XCTAssertEqual(page.body.components(separatedBy: "headers: headers(").count - 1, fetches, "every fetch call sends it")
        XCTAssertEqual(s.request("GET", "/health", headers: [host])?.status, 200)
        XCTAssertEqual(s.request("GET", "/nowhere", headers: [host])?.status, 404)
        let wrong = ["", "Bearer", "Bearer ", "Bearer s3cret-ke", "Bearer s3cret-key-and-more", "Bearer S3CRET-KEY", "Basic czNjcmV0LWtleQ==",
                     "s3cret-key", "Bearer s3cret-kez"]
        for value in wrong {
            let reply = try XCTUnwrap(s.request("GET", "/v1/models", headers: [host] + (value.isEmpty ? [] : [("Authorization", value)])))
            XCTAssertEqual(reply.status, 401, value)
            XCTAssertEqual(reply.headers["www-authenticate"], "Bearer", value)
        }
        XCTAssertEqual(s.request("GET", "/v1/nowhere", headers: [host])?.status, 401, "every /v1/ path")
        for value in ["Bearer s3cret-key", "bearer s3cret-key", "Bearer   s3cret-key"] {
            XCTAssertEqual(s.request("GET", "/v1/models", headers: [host, ("Authorization", value)])?.status, 200, value)
        }
        XCTAssertEqual(s.request("POST", "/v1/completions", headers: [host, ("Authorization", "Bearer s3cret-key")], body: completion)?.status, 200)
        XCTAssertEqual(s.request("GET", "/v1/models", headers: [host, ("Authorization", "Bearer s3cret-key"),
                                                                ("Authorization", "Bearer s3cret-key")])?.status, 401, "one key, once")
        // An allowed origin's preflight carries no key; its refusals are readable by it.
        let origin = ("Origin", "http://localhost:3000")
        XCTAssertEqual(s.request("OPTIONS", "/v1/models", headers: [host, origin, ("Access-Control-Request-Method", "GET")])?.status, 204)
        let refused = try XCTUnwrap(s.request("GET", "/v1/models", headers: [host, origin]))
        XCTAssertEqual(refused.status, 401)
        XCTAssertEqual(refused.headers["access-control-allow-origin"], "http://localhost:3000")
    }

    /// One client's idle connections fill at most its own share of the slots; a client at another
    /// address is still served, and the first is again once it lets go.
    func testOneClientCannotHoldEverySlot() throws {
        var limits = HTTPServer.Limits()
        limits.connections = 8
        limits.connectionsPerClient = 3
        limits.idleSeconds = 60
        let s = try start(limits: limits)
        func health(from source: String) -> ServerTests.Reply? {
            s.request("GET", "/health", headers: [("Host", "localhost")], from: source)
        }
        var held = try (0..<3).map { _ in try XCTUnwrap(s.connect(from: "127.0.0.1")) }
        let refused = try XCTUnwrap(health(from: "127.0.0.1"))
        XCTAssertEqual(refused.status, 503)
        XCTAssertTrue(refused.body.contains("from your address"), refused.body)
        XCTAssertEqual(health(from: "127.0.0.2")?.status, 200, "another client is served")
        // That connection counts until the server's thread lets go of it, just after its answer;
        // wait for it, or 127.0.0.2's third held connection below can meet its cap.
        let settled = Date().addingTimeInterval(20)
        while s.server.openConnections > 3 && Date() < settled { usleep(10_000) }
        held += try (0..<3).map { _ in try XCTUnwrap(s.connect(from: "127.0.0.2")) }
        held += try (0..<2).map { _ in try XCTUnwrap(s.connect(from: "127.0.0.3")) }
        let full = try XCTUnwrap(health(from: "127.0.0.4"))
        XCTAssertEqual(full.status, 503, "all slots are taken")
        XCTAssertFalse(full.body.contains("from your address"), full.body)
        for fd in held { close(fd) }
        let deadline = Date().addingTimeInterval(20)
        while s.server.openConnections > 0 && Date() < deadline { usleep(10_000) }
        XCTAssertEqual(health(from: "127.0.0.1")?.status, 200, "slots are given back when the client lets go")
    }

    /// A policy that cannot be made names the value (never a flag), and never repeats a key.
    func testPoliciesThatCannotBeMadeNameTheValue() {
        func refusal(_ make: () throws(ServerError) -> AccessPolicy) -> ServerError? {
            do {
                _ = try make()
                return nil
            } catch {
                XCTAssertFalse(error.description.contains("--"), "no flag names: \(error)")
                return error
            }
        }
        for origin in ["foo", "http://", "http://a/", "http://a/b", "ftp://a", "http://a:99999", "http://user@a", "*", "null", "http://a?x",
                       "localhost:3000", "http://a b"] {
            XCTAssertEqual(refusal { () throws(ServerError) in try AccessPolicy(loopbackHostsOnly: true, allowedOrigins: [origin]) },
                           .invalidOrigin(origin))
        }
        XCTAssertEqual(refusal { () throws(ServerError) in try AccessPolicy(loopbackHostsOnly: true, apiKey: "") }, .emptyAPIKey)
        for key in ["two words", "tab\there", "ключ", "line\n"] {
            let error = refusal { () throws(ServerError) in try AccessPolicy(loopbackHostsOnly: true, apiKey: key) }
            XCTAssertEqual(error, .apiKeyCharacters(length: key.utf8.count))
            XCTAssertFalse(error?.description.contains(key) ?? true, "the key is a secret")
        }
        XCTAssertTrue(AccessPolicy.isLoopback(address: "127.0.0.1") && AccessPolicy.isLoopback(address: "127.9.8.7"))
        XCTAssertFalse(AccessPolicy.isLoopback(address: "0.0.0.0") || AccessPolicy.isLoopback(address: "192.168.1.2"))
    }
}
