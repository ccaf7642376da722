import Foundation
import Glibc
import Quill
import QuillServer
import Synchronization
import XCTest

/// `quill serve`'s API on a real socket: answers, errors, limits, streaming, disconnecting clients,
/// and 200 mixed requests 16 at a time.
final class ServerTests: XCTestCase {
    /// One raw exchange: status, headers (lower-case names) and body.
    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: String
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] }

        /// The reply in `received`, or nil when it has no status line and head.
        init?(parsing received: [UInt8]) {
            let text = String(decoding: received, as: UTF8.self)
            guard let split = text.range(of: "\r\n\r\n") else { return nil }
            let headLines = text[..<split.lowerBound].split(separator: "\r\n")
            let statusParts = headLines.first?.split(separator: " ") ?? []
            guard statusParts.count > 1, let status = Int(statusParts[1]) else { return nil }
            var headers: [String: String] = [:]
            for line in headLines.dropFirst() {
                let parts = line.split(separator: ":", maxSplits: 1)
                headers[parts[0].lowercased()] = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
            }
            self.init(status: status, headers: headers, body: String(text[split.upperBound...]))
        }

        init(status: Int, headers: [String: String], body: String) {
            self.status = status
            self.headers = headers
            self.body = body
        }
    }

    /// Sends `raw` to the server and reads until it closes; with `hangUpAfter`, closes after that
    /// many bytes of the answer instead.
    static func exchange(_ raw: [UInt8], port: Int, hangUpAfter: Int? = nil) -> Reply? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = raw.withUnsafeBytes { send(fd, $0.baseAddress, raw.count, Int32(MSG_NOSIGNAL)) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 4096, 0) }
            if n <= 0 { break }
            received += buffer[0..<n]
            if let limit = hangUpAfter, received.count >= limit { break }
        }
        return Reply(parsing: received)
    }

    static func post(_ body: String, path: String = "/v1/completions", port: Int, hangUpAfter: Int? = nil) -> Reply? {
        exchange(Array("POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8), port: port,
                 hangUpAfter: hangUpAfter)
    }

    static func get(_ path: String, port: Int) -> Reply? {
        exchange(Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\r\n".utf8), port: port)
    }

    /// The text of a server-sent event stream, and whether it ended with [DONE].
    static func streamed(_ body: String) -> (text: String, done: Bool, finish: String?) {
        var text = "", done = false, finish: String?
        for event in body.components(separatedBy: "\n\n") where event.hasPrefix("data: ") {
            let data = String(event.dropFirst(6))
            if data == "[DONE]" { done = true; continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any],
                  let choice = (object["choices"] as? [[String: Any]])?.first else { continue }
            text += choice["text"] as? String ?? ""
            if let f = choice["finish_reason"] as? String { finish = f }
        }
        return (text, done, finish)
    }

    /// A flag the server's thread reads and the test sets.
    final class Flag: Sendable {
        private let value = Mutex(false)
        var isSet: Bool { value.withLock { $0 } }
        func set() { value.withLock { $0 = true } }
    }

    var generator: Generator!
    var server: HTTPServer!
    var service: CompletionService!
    let stop = Flag()
    let finished = DispatchSemaphore(value: 0)

    override func setUpWithError() throws {
        var o = TrainingOptions(corpus: "memory", outputFolder: nil)
        o.embeddingSize = 16
        o.hiddenSize = 32
        o.batchSize = 4
        o.sequenceLength = 16
        o.maxSteps = 30
        let text = String(repeating: "the keeper lit the lamp at dusk. wind from the west, fog until dawn.\n", count: 40)
        let trainer = try Trainer(options: o, text: text)
        try trainer.run()
        generator = Generator(loaded: LoadedModel(model: trainer.model, vocabulary: trainer.data.vocabulary, level: .char),
                              sampler: try Sampler())
        // Two generations at once: the load test then checks that concurrent sessions on one model
        // give exactly what `generate` gives alone (`quill serve`'s default of one is tested by
        // the CLI's serve test).
        service = CompletionService(generator: generator, modelName: "test", maximumTokens: 200, capacity: 4, parallel: 2)
        var limits = HTTPServer.Limits()
        limits.bodyBytes = 2048
        limits.idleSeconds = 2
        // The load test's 16 clients share one address, and a finished connection is counted out a
        // moment after its client has read the answer: no per-client cap here.
        limits.connectionsPerClient = limits.connections
        let api = CompletionAPI(service: service, description: ["level": "char", "cell": "lstm", "layers": 2, "hidden_size": 32,
                                                               "vocabulary_size": 20, "weights": "f32"])
        server = try HTTPServer(host: "127.0.0.1", port: 0, limits: limits, route: { api.handle($0, $1) })
        let server = self.server!, finished = self.finished, stop = self.stop
        Thread.detachNewThread {
            server.run(shouldStop: { stop.isSet })
            finished.signal()
        }
        addTeardownBlock {
            stop.set()
            XCTAssertEqual(finished.wait(timeout: .now() + 20), .success, "the server stops when asked")
        }
    }

    /// What `quill generate` (Generator.generate, one sample) writes after the prompt.
    func expected(prompt: String, seed: UInt64, length: Int, temperature: Double) throws -> String {
        let g = generator.with(sampler: try Sampler(temperature: temperature))
        let ids = try g.encodePrompt(prompt, policy: .refuse).ids
        return try g.generate(prompt: ids, length: length, seed: seed, promptHasText: !ids.isEmpty)[0].text
    }

    func testRoutesAnswersAndErrors() throws {
        let port = server.port
        let health = try XCTUnwrap(Self.get("/health", port: port))
        XCTAssertEqual(health.status, 200)
        XCTAssertEqual(health.json?["status"] as? String, "ok")
        let models = try XCTUnwrap(Self.get("/v1/models", port: port))
        XCTAssertEqual(((models.json?["data"] as? [[String: Any]])?.first?["id"]) as? String, "test")
        let page = try XCTUnwrap(Self.get("/", port: port))
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.body.contains("<textarea") && page.body.contains("/v1/completions"))
        XCTAssertFalse(page.body.contains("src=\"http") || page.body.contains("href=\"http"), "nothing external")

        let answer = try XCTUnwrap(Self.post(#"{"prompt": "the keeper", "max_tokens": 40, "seed": 3, "temperature": 0.8}"#, port: port))
        XCTAssertEqual(answer.status, 200, answer.body)
        let choice = try XCTUnwrap((answer.json?["choices"] as? [[String: Any]])?.first)
        XCTAssertEqual(choice["text"] as? String, try expected(prompt: "the keeper", seed: 3, length: 40, temperature: 0.8))
        XCTAssertEqual(choice["finish_reason"] as? String, "length")
        XCTAssertEqual((answer.json?["usage"] as? [String: Int])?["completion_tokens"], 40)

        let stream = try XCTUnwrap(Self.post(#"{"prompt": "the keeper", "max_tokens": 40, "seed": 3, "temperature": 0.8, "stream": true}"#, port: port))
        XCTAssertEqual(stream.headers["content-type"], "text/event-stream")
        let events = Self.streamed(stream.body)
        XCTAssertEqual(events.text, choice["text"] as? String)
        XCTAssertTrue(events.done)
        XCTAssertGreaterThan(stream.body.components(separatedBy: "data: ").count, 10, "one event per token")

        // A prompt the vocabulary cannot read: the answer names the characters, not a library setting.
        let unknown = try XCTUnwrap(Self.post(#"{"prompt": "the \u0007 keeper", "max_tokens": 5}"#, port: port))
        XCTAssertEqual(unknown.status, 400, unknown.body)
        let unknownMessage = ((unknown.json?["error"] as? [String: Any])?["message"] as? String) ?? ""
        XCTAssertTrue(unknownMessage.contains("U+0007"), unknownMessage)
        XCTAssertFalse(unknownMessage.contains("unknownPolicy"), unknownMessage)

        let errors: [(String, String, Int, String?)] = [
            ("POST", #"{"prompt": 5}"#, 400, "prompt"),
            ("POST", #"{"max_tokens": 1000}"#, 400, "max_tokens"),
            ("POST", #"{"max_tokens": 2.5}"#, 400, "max_tokens"),
            ("POST", #"{"temperature": "hot"}"#, 400, "temperature"),
            ("POST", #"{"top_p": 0}"#, 400, "top_p"),
            ("POST", #"{"stream": 1}"#, 400, "stream"),
            ("POST", #"{"stop": ["a", "b"]}"#, 400, "stop"),
            ("POST", #"{"bogus": true}"#, 400, "bogus"),
            ("POST", #"{"prompt": "ü€"}"#, 400, "prompt"),
            ("POST", #"{"prompt": "#, 400, nil),
            ("POST", #"[1, 2]"#, 400, nil),
            ("POST", String(repeating: " ", count: 3000), 413, nil),
        ]
        for (_, body, status, field) in errors {
            let reply = try XCTUnwrap(Self.post(body, port: port))
            XCTAssertEqual(reply.status, status, body)
            let error = reply.json?["error"] as? [String: Any]
            XCTAssertNotNil(error?["message"] as? String, body)
            if let field { XCTAssertEqual(error?["param"] as? String, field, body) }
        }
        XCTAssertEqual(Self.get("/nowhere", port: port)?.status, 404)
        let wrong = try XCTUnwrap(Self.get("/v1/completions", port: port))
        XCTAssertEqual(wrong.status, 405)
        XCTAssertEqual(wrong.headers["allow"], "POST")
        XCTAssertEqual(Self.post("{}", path: "/health", port: port)?.status, 405)
        XCTAssertEqual(Self.exchange(Array("BREW / HTCPCP/1.0\r\n\r\n".utf8), port: port)?.status, 400)
        // A client that sends half a request and falls silent is told so after the idle timeout.
        XCTAssertEqual(Self.exchange(Array("POST /v1/completions HTTP/1.1\r\nContent-Length: 50\r\n\r\n{".utf8), port: port)?.status, 408)
    }

    /// 200 requests, 16 at a time: valid ones (plain and streamed, each checked against the text
    /// its seed gives), malformed, oversized and wrong ones, and clients that hang up mid-stream.
    /// Every valid request is answered correctly (or refused with 503 when the queue is full,
    /// which the test then retries), and the server still answers afterwards.
    func testMixedLoadSixteenAtATime() throws {
        let port = server.port
        let prompts = ["the keeper", "wind from", "fog", "dawn"]
        var texts: [Int: String] = [:]
        for i in 0..<200 where i % 5 < 2 {
            texts[i] = try expected(prompt: prompts[i % 4], seed: UInt64(i), length: 30, temperature: 0.9)
        }
        /// What the client threads found.
        final class Tally: Sendable {
            private let state = Mutex((problems: [String](), refusals: 0))
            var problems: [String] { state.withLock { $0.problems } }
            var refusals: Int { state.withLock { $0.refusals } }
            func add(problem: String) { state.withLock { $0.problems.append(problem) } }
            func refused() { state.withLock { $0.refusals += 1 } }
        }
        let tally = Tally(), expectedTexts = texts
        // 16 client threads (GCD would run only as many as there are cores).
        let group = DispatchGroup()
        for worker in 0..<16 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                for i in stride(from: worker, to: 200, by: 16) {
                let valid = #"{"prompt": "\#(prompts[i % 4])", "max_tokens": 30, "seed": \#(i), "temperature": 0.9"#
                var problem: String?
                switch i % 5 {
                case 0, 1:
                    let stream = i % 5 == 1
                    var reply = Self.post(valid + (stream ? #", "stream": true}"# : "}"), port: port)
                    while reply?.status == 503 {
                        tally.refused()
                        usleep(50_000)
                        reply = Self.post(valid + (stream ? #", "stream": true}"# : "}"), port: port)
                    }
                    guard let reply, reply.status == 200 else { problem = "\(i): status \(String(describing: reply?.status))"; break }
                    let text = stream ? Self.streamed(reply.body).text
                        : ((reply.json?["choices"] as? [[String: Any]])?.first?["text"] as? String)
                    if text != expectedTexts[i] { problem = "\(i): '\(text ?? "nil")' is not '\(expectedTexts[i]!)'" }
                case 2:
                    let bodies = [#"{"prompt": "#, #"{"max_tokens": -3}"#, #"{"nope": 1}"#, String(repeating: "x", count: 5000)]
                    let status = Self.post(bodies[i % 4], port: port)?.status
                    if status != (i % 4 == 3 ? 413 : 400) { problem = "\(i): malformed got \(String(describing: status))" }
                case 3:
                    // Hang up after the first bytes of a long stream.
                    _ = Self.post(#"{"prompt": "the", "max_tokens": 200, "stream": true}"#, port: port, hangUpAfter: 1)
                default:
                    let status = i % 2 == 0 ? Self.get("/v1/models", port: port)?.status : Self.get("/missing", port: port)?.status
                    if status != (i % 2 == 0 ? 200 : 404) { problem = "\(i): got \(String(describing: status))" }
                }
                if let problem { tally.add(problem: problem) }
                }
            }
        }
        XCTAssertEqual(group.wait(timeout: .now() + 300), .success)
        XCTAssertEqual(tally.problems, [])
        XCTAssertEqual(Self.get("/health", port: port)?.status, 200)
        // Hung-up clients free their slots: nothing is left running.
        let deadline = Date().addingTimeInterval(10)
        while service.busy > 0 && Date() < deadline { usleep(20_000) }
        XCTAssertEqual(service.busy, 0)
        print("load test: \(tally.refusals) requests were refused with 503 while the queue was full, then retried")
    }
}

extension CLITests {
    /// `quill serve` on a free port: the same seed gives the same text as `quill generate`, a
    /// non-loopback host is warned about, and SIGTERM stops it cleanly.
    func testServeAnswersAsGenerateDoesAndStopsOnSIGTERM() throws {
        let corpus = write(String(repeating: "the keeper lit the lamp at dusk.\nwind from the west.\n", count: 60), "c.txt")
        XCTAssertEqual(try quill(["train", corpus, "--out", "m", "--hidden", "32", "--embed", "16", "--max-steps", "20",
                                  "--batch", "4", "--seq-len", "16", "--quiet"]).status, 0)
        let generated = try quill(["generate", "m", "--prompt", "the keeper", "--length", "60", "--seed", "9",
                                   "--temperature", "0.7"])
        XCTAssertEqual(generated.status, 0, generated.stderr)

        let (process, err, started, port) = try serve(["m", "--port", "0", "--host", "0.0.0.0"])
        defer { if process.isRunning { process.terminate() } }
        var log = started
        XCTAssertTrue(log.contains("warning: listening on 0.0.0.0, not loopback, without --api-key"), log)

        let reply = try XCTUnwrap(ServerTests.post(#"{"prompt": "the keeper", "max_tokens": 60, "seed": 9, "temperature": 0.7}"#, port: port))
        XCTAssertEqual(reply.status, 200, reply.body)
        let text = (reply.json?["choices"] as? [[String: Any]])?.first?["text"] as? String
        XCTAssertEqual(text.map { "the keeper" + $0 + "\n" }, generated.stdout, "quill generate prints the prompt, the sample and a newline")

        process.terminate()  // SIGTERM
        process.waitUntilExit()
        log += String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(process.terminationStatus, 0, log)
        XCTAssertTrue(log.hasSuffix("stopped\n"), log)
        assertError(try quill(["serve", "m", "--host", "nohost"]), status: 1, "IPv4")
    }

    struct ServeDidNotStart: Error {
        let log: String
    }

    /// Starts `quill serve` with `arguments` in the test's folder and reads its stderr up to the line
    /// that names the address; the caller terminates it.
    func serve(_ arguments: [String]) throws -> (process: Process, stderr: Pipe, log: String, port: Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["serve"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let err = Pipe()
        process.standardError = err
        process.standardOutput = Pipe()
        try process.run()
        var log = ""
        let deadline = Date().addingTimeInterval(30)
        while !log.contains("/\n") && Date() < deadline { log += String(decoding: err.fileHandleForReading.availableData, as: UTF8.self) }
        guard let port = log.range(of: #":(\d+)/"#, options: .regularExpression).flatMap({ Int(log[$0].dropFirst().dropLast()) }) else {
            process.terminate()
            throw ServeDidNotStart(log: log)
        }
        return (process, err, log, port)
    }
}
