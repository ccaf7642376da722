import Foundation
import XCTest

/// `quill inspect` end to end: the page it writes and its errors.
final class CLIInspectTests: XCTestCase {
    private var folder = ""
    override func setUp() { folder = SharedData.temporaryFolder(self) }

    private func quill(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        guard FileManager.default.isExecutableFile(atPath: CLITests.binary) else {
            throw XCTSkip("the quill executable is not built at \(CLITests.binary); run 'swift build' first")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLITests.binary)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile(), errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    /// The page's data object, parsed from its JSON script element.
    static func data(ofPage html: String) throws -> [String: Any] {
        let open = #"<script type="application/json" id="quill-inspect-data">"#
        let start = try XCTUnwrap(html.range(of: open)).upperBound
        let end = try XCTUnwrap(html.range(of: "</script>", range: start..<html.endIndex)).lowerBound
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(html[start..<end].utf8)) as? [String: Any])
    }

    /// Every `src`, `href`, `url(…)` and `@import` target of a page that names an http(s) address.
    static func remoteReferences(in html: String) -> [String] {
        let pattern = #"(?i)(src\s*=\s*["']?\s*https?:|href\s*=\s*["']?\s*https?:|url\(\s*["']?\s*https?:|@import\s+(url\()?\s*["']?\s*https?:)"#
        let regex = try! NSRegularExpression(pattern: pattern)
        return regex.matches(in: html, range: NSRange(html.startIndex..., in: html)).map { (html as NSString).substring(with: $0.range) }
    }

    func testPageOfALighthouseModelIsSelfContainedBoundedAndCarriesTheTextVerbatim() throws {
        let corpus = SharedData.repositoryRoot.appendingPathComponent("corpora/lighthouse.txt").path
        let model = folder + "/model"
        let trained = try quill(["train", corpus, "--out", model, "--embed", "16", "--hidden", "64", "--batch", "8", "--seq-len", "32",
                                 "--max-steps", "10", "--quiet"])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let page = folder + "/page.html"
        let run = try quill(["inspect", model, corpus, "--start", "1000", "--out", page])
        XCTAssertEqual(run.status, 0, run.stderr)
        // The corpus is longer than the default span: cut, with a note, not refused.
        XCTAssertTrue(run.stderr.contains("inspecting characters 1000..<6000"), run.stderr)
        let html = try String(contentsOfFile: page, encoding: .utf8)
        XCTAssertLessThanOrEqual(html.utf8.count, 2_000_000)
        XCTAssertEqual(Self.remoteReferences(in: html), [])
        XCTAssertTrue(Self.remoteReferences(in: #"<img src="https://x/y.png"><style>@import url('http://z');</style>"#).count == 2)
        let data = try Self.data(ofPage: html)
        let scalars = Array(try String(contentsOfFile: corpus, encoding: .utf8).unicodeScalars)
        var expected = String.UnicodeScalarView()
        expected.append(contentsOf: scalars[1000..<6000])
        XCTAssertEqual(data["text"] as? String, String(expected))
        let ids = try XCTUnwrap(data["ids"] as? [Int])
        XCTAssertEqual(ids.count, 5000)
        XCTAssertEqual((data["surprisal"] as? [Any])?.count, 5000)
        XCTAssertTrue(data["attention"] is NSNull)
        let features = try XCTUnwrap(data["features"] as? [[String: Any]])
        XCTAssertEqual(features.map { $0["name"] as? String }, ["inside quotes", "position in line", "bracket depth", "start of word", "upper case"])
        let cells = try XCTUnwrap(data["cells"] as? [[String: Any]])
        XCTAssertFalse(cells.isEmpty)
        // Each stored activation is 5,000 int8 codes.
        let stored = try XCTUnwrap((cells[0]["cell"] as? [String: Any])?["q"] as? String)
        XCTAssertEqual(Data(base64Encoded: stored)?.count, 5000)
    }

    func testBadInputGetsOneLineErrors() throws {
        let text = SharedData.write(String(repeating: "the lamp is lit.\n", count: 30), "t.txt", in: folder)
        let model = folder + "/m"
        XCTAssertEqual(try quill(["train", text, "--out", model, "--embed", "8", "--hidden", "16", "--batch", "4", "--seq-len", "8",
                                  "--max-steps", "2", "--quiet"]).status, 0)
        for (arguments, status, fragment) in [
            (["inspect", model, text], Int32(2), "--out"),
            (["inspect", model, text, "--out", folder + "/p.html", "--start", "100000"], 2, "past the end"),
            (["inspect", model, folder + "/missing.txt", "--out", folder + "/p.html"], 1, "no such file"),
            (["inspect", model, text, "--out", folder + "/p.html", "--top-k", "0"], 2, "top-k"),
            (["inspect", model, text, "--out", folder + "/p.html", "--start", "509"], 1, "too short"),
        ] {
            let run = try quill(arguments)
            XCTAssertEqual(run.status, status, "\(arguments): \(run.stderr)")
            XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
            XCTAssertTrue(run.stderr.hasPrefix("quill: ") && run.stderr.contains(fragment), "\(arguments): \(run.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/p.html"))
    }
}
