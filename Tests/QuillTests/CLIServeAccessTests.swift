import Foundation
import XCTest

extension CLITests {
    /// `quill serve`'s access flags: an API key from a file guards /v1/* (and silences the warning
    /// about a non-loopback bind), listed origins get their preflights answered, and keys or
    /// origins that cannot be used are refused before the model is loaded.
    func testServeAccessFlags() throws {
        let help = try quill(["serve", "--help"]).stdout
        for line in ["--allow-origin ORIGIN ", "(repeatable)", "--api-key KEY ", "--api-key-file FILE ", "--connections-per-client N "] {
            XCTAssertTrue(help.contains(line), "'\(line)' not in: \(help)")
        }
        assertError(try quill(["serve", "absent", "--api-key", ""]), status: 2, "--api-key", "empty")
        assertError(try quill(["serve", "absent", "--api-key", "two words"]), status: 2, "--api-key", "printable ASCII")
        assertError(try quill(["serve", "absent", "--allow-origin", "http://localhost:3000", "--allow-origin", "localhost:3000"]),
                    status: 2, "--allow-origin", "'localhost:3000'")
        assertError(try quill(["serve", "absent", "--api-key", "k", "--api-key-file", "k.txt"]), status: 2, "not both")
        assertError(try quill(["serve", "absent", "--api-key-file", "missing.txt"]), status: 1, "missing.txt")
        let blank = write("\nsecond line\n", "blank.txt")
        assertError(try quill(["serve", "absent", "--api-key-file", blank]), status: 1, "--api-key-file", "empty")
        assertError(try quill(["serve", "absent", "--connections-per-client", "0"]), status: 2, "--connections-per-client")

        let corpus = write(String(repeating: "the keeper lit the lamp at dusk.\n", count: 60), "c.txt")
        XCTAssertEqual(try quill(["train", corpus, "--out", "m", "--hidden", "16", "--embed", "8", "--max-steps", "5",
                                  "--batch", "4", "--seq-len", "16", "--quiet"]).status, 0)
        let key = write("k3y-from-a-file\r\nignored\n", "key.txt")
        let (process, _, log, port) = try serve(["m", "--port", "0", "--host", "0.0.0.0", "--api-key-file", key,
                                                 "--allow-origin", "http://localhost:3000", "--allow-origin", "https://tools.example"])
        defer { process.terminate() }
        XCTAssertFalse(log.contains("warning"), log)
        func ask(_ headers: [String]) -> Int? {
            let head = (["GET /v1/models HTTP/1.1", "Host: 127.0.0.1:\(port)"] + headers).joined(separator: "\r\n")
            return ServerTests.exchange(Array((head + "\r\n\r\n").utf8), port: port)?.status
        }
        XCTAssertEqual(ask([]), 401)
        XCTAssertEqual(ask(["Authorization: Bearer k3y-from-a-file"]), 200, "the first line, without its line end")
        XCTAssertEqual(ask(["Authorization: Bearer k3y-from-a-file", "Origin: https://tools.example"]), 200)
        XCTAssertEqual(ask(["Authorization: Bearer k3y-from-a-file", "Origin: https://evil.example"]), 403)
        XCTAssertEqual(ServerTests.get("/health", port: port)?.status, 200)
    }
}
