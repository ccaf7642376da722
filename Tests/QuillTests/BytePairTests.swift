import Foundation
import Quill
@testable import QuillText
import QuillKernels
import XCTest

/// The byte-level BPE against naive references: a learner that recounts every pair for each
/// merge, an encoder that applies every merge in rank order, GPT-2's pre-split pattern run by
/// Foundation's regular expressions, and Swift's own UTF-8 decoding.
final class BytePairTests: XCTestCase {
    /// Characters of every class the pre-split tells apart, of 1 to 4 UTF-8 bytes.
    static let alphabet: [String] = ["a", "b", "e", "t", "s", "d", "r", "T", " ", " ", " ", "\n", "\t", "'", ".", ",", "!",
                                     "1", "7", "é", "ß", "я", "中", "٣", "😀", "𝔸", "—", "\u{00A0}", "’"]

    func randomText(_ count: Int, _ rng: inout SeededGenerator) -> String {
        (0..<count).map { _ in Self.alphabet.randomElement(using: &rng)! }.joined()
    }

    /// Recounts every pair of every piece for each merge; a merge whose bytes are already a
    /// symbol makes that symbol. Also returns how many merges did so.
    func naiveLearn(_ text: [UInt8], newTokens: Int) -> (pairs: [BytePairMerges.Pair], repeats: Int) {
        var pieceCounts: [[UInt8]: Int] = [:]
        for r in PieceSplitter.pieces(text) { pieceCounts[Array(text[r]), default: 0] += 1 }
        var pieces = pieceCounts.map { (symbols: $0.key.map { Int32($0) }, count: $0.value) }
        var bytes = (0..<256).map { [UInt8($0)] }
        var merges: [BytePairMerges.Pair] = []
        var repeats = 0
        while bytes.count < 256 + newTokens {
            var counts: [BytePairMerges.Pair: Int] = [:]
            for piece in pieces where piece.symbols.count > 1 {
                for i in 0..<(piece.symbols.count - 1) { counts[.init(piece.symbols[i], piece.symbols[i + 1]), default: 0] += piece.count }
            }
            guard let best = counts.max(by: { a, b in
                a.value != b.value ? a.value < b.value : (a.key.left, a.key.right) > (b.key.left, b.key.right)
            }), best.value >= 2 else { break }
            let joined = bytes[Int(best.key.left)] + bytes[Int(best.key.right)]
            let made: Int32
            if let existing = bytes.firstIndex(of: joined) { made = Int32(existing); repeats += 1 } else { made = Int32(bytes.count); bytes.append(joined) }
            merges.append(best.key)
            for i in pieces.indices { pieces[i].symbols = naiveMerge(pieces[i].symbols, best.key, made) }
        }
        return (merges, repeats)
    }

    func naiveMerge(_ symbols: [Int32], _ pair: BytePairMerges.Pair, _ made: Int32) -> [Int32] {
        var out: [Int32] = [], i = 0
        while i < symbols.count {
            if i + 1 < symbols.count && symbols[i] == pair.left && symbols[i + 1] == pair.right { out.append(made); i += 2 } else { out.append(symbols[i]); i += 1 }
        }
        return out
    }

    /// Every merge applied in rank order to each piece; symbols are numbered by their bytes here.
    func naiveEncode(_ text: [UInt8], _ merges: BytePairMerges) -> [UInt32] {
        var bytes = (0..<256).map { [UInt8($0)] }
        let made = merges.pairs.map { pair -> Int32 in
            let joined = bytes[Int(pair.left)] + bytes[Int(pair.right)]
            if let existing = bytes.firstIndex(of: joined) { return Int32(existing) }
            bytes.append(joined)
            return Int32(bytes.count - 1)
        }
        return PieceSplitter.pieces(text).flatMap { r -> [UInt32] in
            var symbols = text[r].map { Int32($0) }
            for (k, pair) in merges.pairs.enumerated() { symbols = naiveMerge(symbols, pair, made[k]) }
            return symbols.map { UInt32($0) }
        }
    }

    func testLearnerMakesTheNaiveLearnersMerges() {
        var rng = SeededGenerator(seed: 29)
        let small = (0..<600).map { _ in String(repeating: "a", count: Int.random(in: 1...14, using: &rng)) }.joined(separator: " ")
        let texts = ["the theme of these three thin theses", "aaaaaaaaaa bbbb aaaa ab ab ab", String(repeating: "low lower lowest newer wider ", count: 5),
                     randomText(3000, &rng), randomText(800, &rng), small]
        for text in texts {
            let bytes = Array(text.utf8)
            let learned = BytePairLearner.learn(bytes, newTokens: 150)
            let naive = naiveLearn(bytes, newTokens: 150)
            XCTAssertEqual(learned.pairs, naive.pairs, "text \(text.prefix(30))")
            XCTAssertEqual(learned.symbolCount, 256 + min(150, learned.pairs.count - naive.repeats))
            XCTAssertGreaterThan(learned.pairs.count, 0)
        }
    }

    func testAMergeThatRemakesATokenMakesThatToken() throws {
        // "ab"+"c" and "a"+"bc" both make "abc" (a tokenizer.json may hold both): one symbol.
        let a: Int32 = 97, b: Int32 = 98, c: Int32 = 99
        let merges = try BytePairMerges(pairs: [.init(a, b), .init(b, c), .init(256, c), .init(a, 257), .init(258, 258)])
        XCTAssertEqual(merges.results, [256, 257, 258, 258, 259])
        XCTAssertEqual(merges.symbolCount, 260)
        XCTAssertEqual(merges.symbolBytes[259], Array("abcabc".utf8))
        let vocabulary = try Vocabulary(merges: merges, specials: ["<pad>"])
        for text in ["abc", "xbc abcabc", "bcabc ab c abcbc"] {
            let encoded = BytePairTokenizer().encode(Array(text.utf8), vocabulary: vocabulary)
            XCTAssertEqual(Array(encoded.ids).map { UInt32($0) - 1 }, naiveEncode(Array(text.utf8), merges))
            XCTAssertEqual(BytePairTokenizer().decode(encoded.ids, vocabulary: vocabulary), text)
        }
        XCTAssertThrowsError(try BytePairMerges(pairs: [.init(a, b), .init(a, b)]))
    }

    func testEncoderMatchesMergesAppliedInRankOrderAndRoundTrips() throws {
        var rng = SeededGenerator(seed: 7)
        let training = Array((randomText(4000, &rng) + String(repeating: "the cat's hat ", count: 40)).utf8)
        let merges = BytePairLearner.learn(training, newTokens: 300)
        let vocabulary = try Vocabulary(merges: merges, specials: Vocabulary.bytePairSpecials(sequenceMode: false))
        for length in [1, 2, 17, 500, 3000] {
            let text = randomText(length, &rng) + "the cat's hat"
            let bytes = Array(text.utf8)
            let encoded = BytePairTokenizer().encode(bytes, vocabulary: vocabulary)
            XCTAssertEqual(encoded.unknown, 0)
            XCTAssertEqual(Array(encoded.ids).map { UInt32($0) - 1 }, naiveEncode(bytes, merges))
            XCTAssertEqual(BytePairTokenizer().decode(encoded.ids, vocabulary: vocabulary).utf8.elementsEqual(bytes), true)
        }
        XCTAssertLessThan(BytePairTokenizer().encode(training, vocabulary: vocabulary).ids.count, training.count / 2)
    }

    /// Pieces longer than `BytePairEncoder.shortPiece` go through the heap: the same symbols as
    /// merges applied in rank order, for runs of one letter (overlapping pairs), of two, of CJK
    /// letters and of digits, at lengths around the threshold and far beyond it.
    func testLongPiecesMergeAsShortOnesDo() {
        let training = Array((String(repeating: "aaaaaab", count: 50) + String(repeating: "中文字", count: 60)
                              + String(repeating: "1234567890", count: 30) + " abab abab ").utf8)
        let merges = BytePairLearner.learn(training, newTokens: 60)
        for unit in ["a", "ab", "中文字", "aab", "9876543210"] {
            for count in [20, 65, 66, 200, 3_000] {
                let bytes = Array(String(repeating: unit, count: count).utf8)
                XCTAssertEqual(BytePairEncoder(merges: merges).encode(bytes), naiveEncode(bytes, merges), "\(unit) × \(count)")
            }
        }
    }

    /// The heap behind both gives its elements back in sorted order, ties broken as documented.
    func testBinaryHeapPopsInTheOrderASortGives() {
        var generator = SeededGenerator(seed: 29)
        let pairs = (0..<500).map { _ in PairCount(count: Int.random(in: 0..<20, using: &generator), key: UInt64.random(in: 0..<50, using: &generator)) }
        var heap = BinaryHeap<PairCount>()
        for p in pairs { heap.push(p) }
        var popped: [PairCount] = []
        while let p = heap.pop() { popped.append(p) }
        XCTAssertTrue(heap.isEmpty)
        let sorted = pairs.sorted { ($0.count, UInt64.max - $0.key) > ($1.count, UInt64.max - $1.key) }
        XCTAssertEqual(popped.map { [$0.count, Int($0.key)] }, sorted.map { [$0.count, Int($0.key)] })

        let positions = (0..<300).map { _ in RankedPosition(rank: Int32.random(in: 0..<10, using: &generator), at: Int.random(in: 0..<40, using: &generator)) }
        var ranks = BinaryHeap<RankedPosition>()
        for p in positions { ranks.push(p) }
        var out: [RankedPosition] = []
        while let p = ranks.pop() { out.append(p) }
        XCTAssertEqual(out.map { [Int($0.rank), $0.at] }, positions.map { [Int($0.rank), $0.at] }.sorted { $0.lexicographicallyPrecedes($1) })
    }

    /// A cache cleared every few pieces gives the ids a fresh encoding gives.
    func testPieceCacheClearedWhenFullGivesTheSameIds() {
        let training = Array("the keeper lit the lamp; the lamp lit the rock, and the keeper slept.".utf8)
        let merges = BytePairLearner.learn(training, newTokens: 30)
        let encoder = BytePairEncoder(merges: merges)
        let symbolIDs = (0..<merges.symbolCount).map { UInt32($0 + 7) }
        var small = BytePairPieceCache(encoder: encoder, symbolIDs: symbolIDs, limit: 2)
        var ids: [UInt32] = [], most = 0
        training.withUnsafeBufferPointer { p in
            PieceSplitter.forEachPiece(p, in: 0..<p.count) { start, end in
                small.append(p.baseAddress! + start, end - start, to: &ids)
                most = max(most, small.count)
            }
        }
        XCTAssertEqual(most, 2, "cleared whenever a third distinct piece came")
        XCTAssertEqual(ids, encoder.encode(training, offset: 7))
    }

    func testEncodingInPartsOnBothCoresMatchesOnePart() {
        var rng = SeededGenerator(seed: 11)
        var lines: [String] = []
        for _ in 0..<2500 { lines.append(randomText(40, &rng)) }
        let bytes = Array(lines.joined(separator: "\n").utf8)
        let merges = BytePairLearner.learn(Array(bytes.prefix(20_000)), newTokens: 100)
        let encoder = BytePairEncoder(merges: merges)
        let parts = bytes.withUnsafeBufferPointer { BytePairEncoder.parts($0, count: 3) }
        XCTAssertEqual(parts.count, 3)
        let whole = bytes.withUnsafeBufferPointer { encoder.encode($0, 0..<$0.count, ids: (0..<UInt32(merges.symbolCount)).map { $0 }) }
        XCTAssertEqual(encoder.encode(bytes), whole)
        XCTAssertEqual(Array(whole.prefix(500)), naiveEncode(Array(bytes.prefix(1000)), merges).prefix(500).map { $0 })
    }

    func testPartsSplitIntoTheWholeTextsPieces() {
        // Separators around the newlines a cut may follow: a longer whitespace run ("\n\n", " \n",
        // U+3000 then "\n") keeps its newline inside one piece unless the splitter gives it up.
        var rng = SeededGenerator(seed: 5)
        let separators = ["\n", "\n\n", " \n", "\t\n", "\u{3000}\n", "\n ", "x\n", "\n\n\n", "'s\n"]
        var text = ""
        while text.utf8.count < 200_000 { text += randomText(30, &rng) + separators[rng.nextInt(below: separators.count)] }
        let bytes = Array(text.utf8)
        let whole = PieceSplitter.pieces(bytes)
        for count in 2...7 {
            let parts = bytes.withUnsafeBufferPointer { BytePairEncoder.parts($0, count: count) }
            XCTAssertGreaterThan(parts.count, 1)
            let split = parts.flatMap { part in
                PieceSplitter.pieces(Array(bytes[part])).map { ($0.lowerBound + part.lowerBound)..<($0.upperBound + part.lowerBound) }
            }
            XCTAssertEqual(split, whole, "\(count) parts cut at \(parts.map(\.lowerBound))")
        }
    }

    func testPiecesAreWhatGPT2sPatternMatches() throws {
        // GPT-2's pattern, run by Foundation (ICU); its \s lacks U+0085 and U+000B, which the
        // alphabet leaves out.
        let pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
        let regex = try NSRegularExpression(pattern: pattern)
        var rng = SeededGenerator(seed: 3)
        for length in [5, 60, 400] {
            for _ in 0..<20 {
                let text = randomText(length, &rng) + ["", " ", "  ", "'re", "x'll"].randomElement(using: &rng)!
                let ns = text as NSString
                let expected = regex.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range) }
                let bytes = Array(text.utf8)
                let pieces = PieceSplitter.pieces(bytes).map { String(decoding: bytes[$0], as: UTF8.self) }
                XCTAssertEqual(pieces, expected, "text \(text.debugDescription)")
            }
        }
    }

    func testAssemblerReleasesWhatSwiftDecodesAndNeverHalfACharacter() {
        var rng = SeededGenerator(seed: 5)
        for round in 0..<300 {
            // Valid text, and from round 150 on, random bytes as well.
            var bytes = Array(randomText(30, &rng).utf8)
            if round >= 150 { for _ in 0..<10 { bytes.insert(UInt8.random(in: 0x80...0xFF, using: &rng), at: Int.random(in: 0...bytes.count, using: &rng)) } }
            var assembler = UTF8Assembler()
            var out = ""
            var i = 0
            while i < bytes.count {
                let step = Int.random(in: 1...3, using: &rng)
                let piece = assembler.append(bytes[i..<min(bytes.count, i + step)])
                XCTAssertEqual(Array(piece.utf8), Array(String(decoding: Array(piece.utf8), as: UTF8.self).utf8))
                out += piece
                i += step
            }
            out += assembler.finish()
            XCTAssertEqual(out, String(decoding: bytes, as: UTF8.self))
            if round < 150 { XCTAssertEqual(Array(out.utf8), bytes) }
        }
    }

    func testVocabularyKeepsItsMergesThroughJSONAndRefusesMismatches() throws {
        let merges = BytePairLearner.learn(Array("hello hello help".utf8), newTokens: 10)
        let vocabulary = try Vocabulary(merges: merges, specials: Vocabulary.bytePairSpecials(sequenceMode: true))
        XCTAssertEqual(vocabulary.count, 3 + merges.symbolCount)
        XCTAssertEqual(vocabulary.tokens[3 + 32], "Ġ")
        XCTAssertEqual(vocabulary.tokens[3 + 10], "Ċ")
        let back = try Vocabulary(jsonString: vocabulary.jsonString())
        XCTAssertEqual(back, vocabulary)
        XCTAssertEqual(back.merges, merges)
        try back.validate(level: .bpe)
        XCTAssertThrowsError(try back.validate(level: .char))
        XCTAssertThrowsError(try Vocabulary(tokens: ["<pad>", "a"], specialCount: 1).validate(level: .bpe))
        XCTAssertThrowsError(try BytePairMerges(pairs: [.init(0, 256)]))
        XCTAssertThrowsError(try Vocabulary(tokens: Array(vocabulary.tokens.dropLast()), specialCount: 3, merges: merges))
        for b in 0..<256 { XCTAssertEqual(ByteAlphabet.bytes(ByteAlphabet.string([UInt8(b)])), [UInt8(b)]) }
    }

    func testTokenizerJSONListsEveryTokenAtItsIdAndTheMergesInOrder() throws {
        let merges = BytePairLearner.learn(Array("the cat sat on the mat, the 😀 😀".utf8), newTokens: 12)
        let vocabulary = try Vocabulary(merges: merges, specials: Vocabulary.bytePairSpecials(sequenceMode: false))
        let object = try JSONSerialization.jsonObject(with: Data(try vocabulary.tokenizerJSONText().utf8)) as! [String: Any]
        let model = object["model"] as! [String: Any]
        XCTAssertEqual(model["type"] as? String, "BPE")
        let vocab = model["vocab"] as! [String: Int]
        XCTAssertEqual(vocab.count, vocabulary.count)
        for (id, token) in vocabulary.tokens.enumerated() { XCTAssertEqual(vocab[token], id) }
        let lines = model["merges"] as! [String]
        XCTAssertEqual(lines.count, merges.pairs.count)
        for (k, line) in lines.enumerated() {
            let parts = line.split(separator: " ").map(String.init)
            XCTAssertEqual(parts.count, 2)
            XCTAssertEqual(parts[0] + parts[1], vocabulary.tokens[1 + Int(merges.results[k])])
            XCTAssertEqual(vocab[parts[0]], 1 + Int(merges.pairs[k].left))
            XCTAssertEqual(vocab[parts[1]], 1 + Int(merges.pairs[k].right))
        }
        XCTAssertThrowsError(try Vocabulary(tokens: ["<pad>", "a"], specialCount: 1).tokenizerJSONText())
    }

    func testTokenizerJSONReadsBackInAnyIdOrderAndRefusesOtherKinds() throws {
        let text = Array("the cat's hat — the 😀 hat\nthe cat".utf8)
        let vocabulary = try Vocabulary(merges: BytePairLearner.learn(text, newTokens: 20), specials: ["<pad>"])
        let json = try vocabulary.tokenizerJSONText()
        XCTAssertEqual(try Vocabulary(tokenizerJSON: Array(json.utf8), path: "t.json"), vocabulary)
        // A vocab naming a token twice is refused, not read one way or the other.
        let vocab = try XCTUnwrap(json.range(of: "\"vocab\""))
        let brace = try XCTUnwrap(json[vocab.upperBound...].firstIndex(of: "{"))
        var twice = json
        twice.insert(contentsOf: "\"<pad>\": 5, ", at: twice.index(after: brace))
        XCTAssertThrowsError(try Vocabulary(tokenizerJSON: Array(twice.utf8), path: "d.json")) { error in
            XCTAssertTrue("\(error)".contains("appears twice"), "\(error)")
        }
        // The same tokenizer with its ids reversed (the specials last, as GPT-2 has <|endoftext|>).
        var object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        var model = object["model"] as! [String: Any]
        let n = vocabulary.count
        model["vocab"] = Dictionary(uniqueKeysWithValues: vocabulary.tokens.enumerated().map { ($1, n - 1 - $0) })
        object["model"] = model
        let reversed = try Vocabulary(tokenizerJSON: Array(try JSONSerialization.data(withJSONObject: object)), path: "r.json")
        XCTAssertEqual(reversed.specialCount, 0)
        let original = BytePairTokenizer().encode(text, vocabulary: vocabulary).ids.map { n - 1 - Int($0) }
        let read = BytePairTokenizer().encode(text, vocabulary: reversed).ids
        XCTAssertEqual(read.map { Int($0) }, original)
        XCTAssertEqual(BytePairTokenizer().decode(read, vocabulary: reversed), String(decoding: text, as: UTF8.self))
        for (key, value) in [("type", "WordPiece"), ("continuing_subword_prefix", "##")] {
            var other = object, otherModel = model
            otherModel[key] = value
            other["model"] = otherModel
            XCTAssertThrowsError(try Vocabulary(tokenizerJSON: Array(try JSONSerialization.data(withJSONObject: other)), path: "o.json")) { error in
                XCTAssertTrue("\(error)".contains("o.json"), "\(error)")
            }
        }
        var prefixed = object
        prefixed["pre_tokenizer"] = ["type": "ByteLevel", "add_prefix_space": true]
        XCTAssertThrowsError(try Vocabulary(tokenizerJSON: Array(try JSONSerialization.data(withJSONObject: prefixed)), path: "p.json"))
        XCTAssertThrowsError(try Vocabulary(tokenizerJSON: Array("[1, 2]".utf8), path: "a.json"))
    }
}
