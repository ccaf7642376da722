import Quill
import XCTest

final class VocabularyTests: XCTestCase {
    let counts = TokenCounts(tokens: ["b", "a", "c", "d", "<eos>"].map { Array($0.utf8) }, counts: [5, 5, 9, 1, 3])

    func testSpecialsFirstThenCountDescendingThenBytes() throws {
        let v = try Vocabulary(counts: counts, specials: [Vocabulary.eos])
        XCTAssertEqual(v.tokens, ["<pad>", "<unk>", "<eos>", "c", "a", "b", "d"])
        XCTAssertEqual(v.padID, 0)
        XCTAssertEqual(v.unknownID, 1)
        XCTAssertEqual(v.eosID, 2)
        XCTAssertNil(v.bosID)
        XCTAssertEqual(v.specialCount, 3)
    }

    func testMinimumCountAndMaximumSize() throws {
        XCTAssertEqual(try Vocabulary(counts: counts, minimumCount: 5).tokens, ["<pad>", "<unk>", "c", "a", "b"])
        XCTAssertEqual(try Vocabulary(counts: counts, maximumSize: 4).tokens, ["<pad>", "<unk>", "c", "a"])
        XCTAssertThrowsError(try Vocabulary(counts: counts, maximumSize: 2))
        XCTAssertThrowsError(try Vocabulary(counts: counts, minimumCount: 0))
    }

    /// Vocabularies are equal byte for byte, as their lookups are: a word written with a combining
    /// accent is another token than the precomposed one (String's == calls them equal).
    func testEqualityComparesBytesAsLookupsDo() throws {
        let composed = try Vocabulary(tokens: ["<pad>", "<unk>", "caf\u{E9}"], specialCount: 2)
        let decomposed = try Vocabulary(tokens: ["<pad>", "<unk>", "cafe\u{301}"], specialCount: 2)
        XCTAssertEqual(composed.tokens[2], decomposed.tokens[2], "String's canonical equality")
        XCTAssertNil(composed.id(forBytes: Array("cafe\u{301}".utf8)), "lookups compare bytes")
        XCTAssertNotEqual(composed, decomposed)
        XCTAssertEqual(composed, try Vocabulary(tokens: ["<pad>", "<unk>", "caf\u{E9}"], specialCount: 2))
        XCTAssertNotEqual(composed, try Vocabulary(tokens: ["<pad>", "<unk>", "caf\u{E9}"], specialCount: 1))
    }

    func testSequenceModeSpecials() throws {
        let v = try Vocabulary(counts: counts, specials: Vocabulary.extraSpecials(level: .char, sequenceMode: true))
        XCTAssertEqual(Array(v.tokens.prefix(4)), ["<pad>", "<unk>", "<bos>", "<eos>"])
        XCTAssertEqual(v.bosID, 2)
        XCTAssertEqual(v.eosID, 3)
    }

    func testJSONAndLineFileRoundTrip() throws {
        let v = try Vocabulary(counts: TokenCounts(tokens: ["x", "\"q\"", "é", "\\"].map { Array($0.utf8) }, counts: [1, 2, 3, 4]))
        XCTAssertEqual(try Vocabulary(jsonString: v.jsonString()), v)
        let folder = SharedData.temporaryFolder(self)
        let path = folder + "/vocab.txt"
        try v.lineFileText().write(toFile: path, atomically: true, encoding: .utf8)
        let read = try Vocabulary(lineFile: path)
        XCTAssertEqual(read.tokens, v.tokens)
        XCTAssertEqual(read.unknownID, 1)
    }

    func testDuplicateTokensAreRejected() {
        XCTAssertThrowsError(try Vocabulary(tokens: ["a", "b", "a"], specialCount: 0))
    }

    func testReportForAFile() throws {
        let folder = SharedData.temporaryFolder(self)
        let path = folder + "/t.txt"
        try "a a a b\nb c\n".write(toFile: path, atomically: true, encoding: .utf8)
        let report = try VocabularyReport(text: try TextFile(path: path), level: .word, minimumCount: 2)
        XCTAssertEqual(report.tokens, 8)
        XCTAssertEqual(report.distinct, 4)
        XCTAssertEqual(report.vocabularySize, 5) // <pad> <unk> <eos> a b
        XCTAssertEqual(report.unknownTokens, 1)  // c
        XCTAssertEqual(report.coverage, 7.0 / 8.0, accuracy: 1e-12)
        XCTAssertEqual(report.top.first?.token, "a")
    }
}
