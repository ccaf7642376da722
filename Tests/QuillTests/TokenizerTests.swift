import Quill
import XCTest

final class TokenizerTests: XCTestCase {
    func counts(_ counts: TokenCounts) -> [String: Int] {
        var out: [String: Int] = [:]
        for (t, c) in zip(counts.tokens, counts.counts) { out[String(decoding: t, as: UTF8.self)] = c }
        return out
    }

    func testCharacterLevelCountsUnicodeScalarsAndNewlines() {
        let text = "aé\nб😀a\n"
        let c = counts(CharacterTokenizer().count(Array(text.utf8)))
        XCTAssertEqual(c, ["a": 2, "é": 1, "\n": 2, "б": 1, "😀": 1])
    }

    func testCharacterLevelKeepsCanonicallyEquivalentScalarsApart() {
        // U+212B ANGSTROM SIGN and U+00C5 are equal as Swift Strings, but are different tokens.
        let text = "\u{212B}\u{00C5}\u{00C5}"
        let tokenizer = CharacterTokenizer()
        let counted = tokenizer.count(Array(text.utf8))
        XCTAssertEqual(counted.distinct, 2)
        let vocabulary = try! Vocabulary(counts: counted)
        let encoded = tokenizer.encode(Array(text.utf8), vocabulary: vocabulary)
        XCTAssertEqual(encoded.ids.count, 3)
        XCTAssertNotEqual(encoded.ids[0], encoded.ids[1])
        XCTAssertEqual(Array(tokenizer.decode(encoded.ids, vocabulary: vocabulary).unicodeScalars), Array(text.unicodeScalars))
    }

    func testWordLevelMatchesPyTorchLineSplitting() {
        // line.split() + ['<eos>'] for each line; a last line without newline still counts; a
        // trailing newline adds no empty line; blank lines give a lone <eos>.
        let text = "the cat  sat\n\n\tthe dog\r\nran"
        let tokenizer = WordTokenizer()
        let c = counts(tokenizer.count(Array(text.utf8)))
        XCTAssertEqual(c, ["the": 2, "cat": 1, "sat": 1, "dog": 1, "ran": 1, "<eos>": 4])
        XCTAssertEqual(counts(tokenizer.count(Array("a b\n".utf8))), ["a": 1, "b": 1, "<eos>": 1])
    }

    func testWordEncodingAndDecodingRoundTrip() throws {
        let text = "the cat sat\nthe dog sat on the mat\n"
        let tokenizer = WordTokenizer()
        let vocabulary = try Vocabulary(counts: tokenizer.count(Array(text.utf8)), specials: [Vocabulary.eos])
        let encoded = tokenizer.encode(Array(text.utf8), vocabulary: vocabulary)
        XCTAssertEqual(encoded.ids.count, 11)
        XCTAssertEqual(encoded.unknown, 0)
        XCTAssertEqual(tokenizer.decode(encoded.ids, vocabulary: vocabulary), text)
    }

    func testUnknownWordsMapToUnk() throws {
        let tokenizer = WordTokenizer()
        let vocabulary = try Vocabulary(counts: tokenizer.count(Array("a b a\n".utf8)), specials: [Vocabulary.eos])
        let encoded = tokenizer.encode(Array("a zebra b\n".utf8), vocabulary: vocabulary)
        XCTAssertEqual(Array(encoded.ids), [vocabulary.id(for: "a")!, vocabulary.unknownID!, vocabulary.id(for: "b")!, vocabulary.eosID!])
        XCTAssertEqual(encoded.unknown, 1)
        XCTAssertEqual(tokenizer.decode(encoded.ids, vocabulary: vocabulary), "a <unk> b\n")
    }

    func testCorpusCountsMatchTheirREADME() throws {
        let shakespeare = try TextFile(path: try SharedData.corpus("tinyshakespeare/input.txt"))
        let chars = CharacterTokenizer().count(shakespeare.bytes)
        XCTAssertEqual(chars.distinct, 65)
        XCTAssertEqual(chars.total, 1_115_394)
        let ptb = try TextFile(path: try SharedData.corpus("ptb/ptb.valid.txt"))
        let words = WordTokenizer().count(ptb.bytes)
        XCTAssertEqual(words.distinct, 6022)
        XCTAssertEqual(words.total, 73_760)
        let wiki = try TextFile(path: try SharedData.corpus("wikitext-2/valid.txt"))
        let wikiWords = WordTokenizer().count(wiki.bytes)
        XCTAssertEqual(wikiWords.distinct, 13_777)
        XCTAssertEqual(wikiWords.total, 217_646)
    }
}
