import Foundation
import Quill
import QuillKernels
import QuillText
import XCTest

/// `quill perplexity` reads its file a chunk at a time (`PerplexityEvaluator.evaluate(file:)`);
/// the reference is the whole-file path it replaced (`evaluateWhole(file:)`: the file read whole,
/// every id in memory). On many seeded random files, with chunks of a few bytes so that chunk ends
/// fall inside words, scalars and CR LF pairs, both must give the same result to the bit, or the
/// same error.
final class ChunkedPerplexityTests: XCTestCase {
    /// Pieces of random texts: multi-byte scalars, a combining accent (two scalars, one grapheme),
    /// a BOM character inside the text, CR LF and lone CR, tabs, literal specials, tokens no
    /// vocabulary below holds ("zz", "q", "😀"), and for the bpe level's pre-split, contractions
    /// and their beginnings, digits, and two- and three-byte whitespace (NBSP, U+3000).
    static let pieces = ["a", "b", "c", "ab", "the", "é", "中", "😀", "e\u{301}", "\u{FEFF}", "<unk>", "<eos>", "zz", "q",
                         " ", " ", "  ", "\t", "\n", "\n", "\r\n", "\r\n", "\r", "\u{0B}",
                         "'s", "'re", "'", "42", "\u{A0}", "\u{3000}"]

    /// Tokens of the test vocabularies besides specials.
    static let characters = ["a", "b", "c", "t", "h", "e", " ", "\n", "\t", "é", "中", "\u{301}", "\r"]
    static let words = ["a", "b", "c", "ab", "the", "é", "中", "e\u{301}"]

    /// A tiny seeded model for `level` and `mode`; `variant` takes `<unk>` (1) or the newline (2)
    /// away, or adds an attention head whose memory rides across the windows (3).
    func model(level: TokenLevel, mode: TrainingMode, variant: Int) throws -> LoadedModel {
        if level == .bpe {
            // Merges learned from the pieces themselves, so that random texts hold many of them.
            let text = Self.pieces.indices.flatMap { i in Self.pieces[i...] + Self.pieces[..<i] }.joined()
            let vocabulary = try Vocabulary(learningBytePairsFrom: Array(text.utf8), size: 1 + 256 + 40, sequenceMode: false)
            XCTAssertGreaterThan(vocabulary.merges!.pairs.count, 30)
            let config = ModelConfig(vocabularySize: vocabulary.count, embeddingSize: 4, hiddenSize: 6, layers: 1,
                                     attention: variant == 3 ? .init(memory: 5) : nil)
            return LoadedModel(model: try LanguageModel(config: config, seed: 3), vocabulary: vocabulary, level: level, mode: mode)
        }
        var specials = ["<pad>"]
        if variant != 1 { specials.append("<unk>") }
        if mode == .lines { specials += ["<bos>", "<eos>"] } else if level == .word { specials.append("<eos>") }
        var tokens = level == .char ? Self.characters : Self.words
        if variant == 2 { tokens.removeAll { $0 == "\n" } } // char lines mode with no separator: one line
        let vocabulary = try Vocabulary(tokens: specials + tokens, specialCount: specials.count)
        let config = ModelConfig(vocabularySize: vocabulary.count, embeddingSize: 4, hiddenSize: 6, layers: 1,
                                 attention: variant == 3 ? .init(memory: 5) : nil)
        return LoadedModel(model: try LanguageModel(config: config, seed: 3), vocabulary: vocabulary, level: level, mode: mode)
    }

    /// Random UTF-8 text bytes; now and then a leading BOM, no final newline, or a corrupt byte.
    static func randomText(_ rng: inout SeededGenerator) -> [UInt8] {
        var bytes: [UInt8] = rng.nextInt(below: 5) == 0 ? [0xEF, 0xBB, 0xBF] : []
        for _ in 0..<rng.nextInt(below: 90) { bytes += Array(pieces[rng.nextInt(below: pieces.count)].utf8) }
        if rng.nextInt(below: 2) == 0 { bytes.append(0x0A) }
        if rng.nextInt(below: 8) == 0 && !bytes.isEmpty {
            let bad: [[UInt8]] = [[0x00], [0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xF0, 0x9F, 0x98]]
            bytes.insert(contentsOf: bad[rng.nextInt(below: bad.count)], at: rng.nextInt(below: bytes.count + 1))
        }
        return bytes
    }

    func testChunkedScoringEqualsWholeFileScoringOnRandomFiles() throws {
        let folder = SharedData.temporaryFolder(self)
        var rng = SeededGenerator(seed: 26)
        var outcomes = FuzzOutcomes()
        var models: [String: LoadedModel] = [:]
        for level in [TokenLevel.char, .word, .bpe] {
            // Bpe is stream mode only (no token ends a line).
            for mode in level == .bpe ? [TrainingMode.stream] : [.stream, .lines] {
                for variant in level == .bpe ? [0, 3] : level == .char && mode == .lines ? [0, 1, 2] : mode == .stream ? [0, 1, 3] : [0, 1] {
                    models["\(level) \(mode) \(variant)"] = try model(level: level, mode: mode, variant: variant)
                }
            }
        }
        let keys = models.keys.sorted()
        for c in 0..<480 {
            let key = keys[c % keys.count]
            let loaded = models[key]!
            let path = folder + "/t\(c).txt"
            let bytes = Self.randomText(&rng)
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
            let batch = 1 + rng.nextInt(below: 4), steps = 1 + rng.nextInt(below: 6), chunk = 1 + rng.nextInt(below: 12)
            let label = "seed 26 case \(c): \(key), batch \(batch), steps \(steps), chunk \(chunk), text \(bytes)"
            let evaluator = try PerplexityEvaluator(loaded: loaded, batchSize: batch, steps: steps)
            outcomes.record(label) {
                let whole = Swift.Result { try evaluator.evaluateWhole(file: path) }
                let chunked = Swift.Result { try evaluator.evaluate(file: path, chunkSize: chunk) }
                switch (whole, chunked) {
                case (.success(let a), .success(let b)):
                    XCTAssertEqual(a, b, label) // Double ==: the cross-entropy to the bit
                    try checkIndexAndReaders(loaded: loaded, path: path, chunk: chunk, label: label)
                case (.failure(let a), .failure(let b)):
                    XCTAssertEqual("\(a)", "\(b)", label)
                    throw a
                default:
                    XCTFail("\(label): whole \(whole), chunked \(chunked)")
                }
            }
        }
        XCTAssertGreaterThan(outcomes.accepted, 250)
        XCTAssertGreaterThan(outcomes.refused, 50)
    }

    /// The index counts what the whole-text encoding counts, and a reader started at any of its
    /// entries reads on exactly the ids the whole text has from there.
    func checkIndexAndReaders(loaded: LoadedModel, path: String, chunk: Int, label: String) throws {
        let encoded = loaded.level.tokenizer.encode(try TextFile(path: path).bytes, vocabulary: loaded.vocabulary)
        let file = try TextFileReader(path: path, chunkSize: chunk)
        let index = try TokenIndex(file: file, level: loaded.level, vocabulary: loaded.vocabulary, countedID: nil,
                                   separatorID: nil, chunkSize: chunk)
        XCTAssertEqual([index.idCount, index.unknown, index.dropped], [encoded.ids.count, encoded.unknown, encoded.dropped], label)
        let entries = index.entries
        for e in Set(stride(from: 0, to: entries.count, by: max(1, entries.count / 6))).union([entries.count - 1]) {
            let entry = entries[e]
            var reader = FileTokenReader(file: file, level: loaded.level, vocabulary: loaded.vocabulary, from: entry.offset,
                                         chunkSize: 1 + entry.idIndex % 7)
            var ids: [Int] = []
            while let chunk = try reader.nextChunk() { ids += chunk.map(Int.init) }
            XCTAssertEqual(ids, Array(encoded.ids[entry.idIndex...]), "\(label), from offset \(entry.offset)")
        }
    }

    /// A file cut short after it was indexed is reported as changed, not scored or crashed on.
    func testFileThatShrinksAfterIndexingIsAnError() throws {
        let loaded = try model(level: .char, mode: .stream, variant: 0)
        let path = SharedData.temporaryFolder(self) + "/t.txt"
        _ = FileManager.default.createFile(atPath: path, contents: Data(String(repeating: "the cab\n", count: 40).utf8))
        let file = try TextFileReader(path: path, chunkSize: 16)
        let index = try TokenIndex(file: file, level: .char, vocabulary: loaded.vocabulary, countedID: nil,
                                   separatorID: nil, chunkSize: 16)
        XCTAssertTrue(truncate(path, 100) == 0)
        XCTAssertThrowsError(try {
            let batches = try FileStreamBatches(file: file, level: .char, vocabulary: loaded.vocabulary, index: index,
                                                batchSize: 2, steps: 8, chunkSize: 8)
            while try batches.next() != nil {}
        }()) { XCTAssertTrue("\($0)".contains("changed while it was being read"), "\($0)") }
    }
}
