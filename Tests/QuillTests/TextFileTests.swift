import Quill
import XCTest

final class TextFileTests: XCTestCase {
    func write(_ bytes: [UInt8], _ name: String = "f.txt") -> String {
        let path = SharedData.temporaryFolder(self) + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    func assertRejected(_ path: String, _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try TextFile(path: path), file: file, line: line) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains(path) && message.contains(fragment), "message: \(message)", file: file, line: line)
            XCTAssertFalse(message.contains("\n"), file: file, line: line)
        }
    }

    func testBadFilesAreRejectedWithAClearMessage() {
        assertRejected("/nonexistent/quill.txt", "no such file")
        assertRejected(SharedData.temporaryFolder(self), "directory")
        assertRejected(write([]), "empty")
        assertRejected(write(Array(" \n\t \r\n".utf8)), "only whitespace")
        assertRejected(write([0x7F, 0x45, 0x4C, 0x46, 0x00, 0x01]), "binary")
        assertRejected(write(Array("héllo".utf8) + [0xC3, 0x28] + Array("x".utf8)), "offset 6")
        assertRejected(write([0xED, 0xA0, 0x80]), "UTF-8") // an encoded surrogate
        assertRejected(write([0xC0, 0xAF]), "UTF-8")       // an overlong form
    }

    func testMixedScriptsEmojiAndByteOrderMark() throws {
        let text = "Hello, мир! 你好 🌍🚀 नमस्ते\n"
        let file = try TextFile(path: write([0xEF, 0xBB, 0xBF] + Array(text.utf8)))
        XCTAssertEqual(file.bytes, Array(text.utf8))
    }

    func testLongSingleLineWorks() throws {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(3_000_000)
        while bytes.count < 3_000_000 { bytes += Array("lorem ipsum dolor sit amet ".utf8) }
        let file = try TextFile(path: write(bytes))
        let words = WordTokenizer().count(file.bytes)
        XCTAssertEqual(words.distinct, 6)
        let chars = CharacterTokenizer().count(file.bytes)
        XCTAssertEqual(chars.total, bytes.count)
    }

    /// CR LF reads as LF at both levels (no "\r" token), a lone CR stays, and the count is kept.
    func testWindowsLineEndsBecomeLF() throws {
        let file = try TextFile(path: write(Array("one two\r\nthree\r\nfour\rfive\n".utf8)))
        XCTAssertEqual(file.bytes, Array("one two\nthree\nfour\rfive\n".utf8))
        XCTAssertEqual(file.normalizedLineEnds, 2)
        let vocabulary = try Vocabulary(counts: CharacterTokenizer().count(file.bytes))
        XCTAssertEqual(vocabulary.tokens.filter { $0 == "\r" }.count, 1, "only the lone CR remains a token")
        XCTAssertEqual(WordTokenizer().count(file.bytes).total, 8) // 5 words and 3 line ends
    }

    func testPipeIsNotATextFile() throws {
        let path = NSTemporaryDirectory() + "quill-fifo-\(getpid())"
        XCTAssertEqual(mkfifo(path, 0o600), 0)
        defer { unlink(path) }
        XCTAssertThrowsError(try TextFile(path: path)) { error in
            XCTAssertTrue("\(error)".contains("not a regular file"), "\(error)")
        }
    }
}
