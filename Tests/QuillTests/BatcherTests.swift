import Quill
import XCTest

final class BatcherTests: XCTestCase {
    func testStreamLayoutAndShiftedTargets() throws {
        let ids = TokenIDs(Array(0..<25), vocabularySize: 30) // 25 ids, B = 4 → L = 6, one id dropped
        let batcher = try StreamBatcher(ids: ids, batchSize: 4, steps: 2)
        XCTAssertEqual(batcher.streamLength, 6)
        XCTAssertEqual(batcher.count, 3) // windows start at 0, 2, 4; the last has 1 step
        let first = batcher.batch(0)
        XCTAssertEqual(first.inputs, [0, 6, 12, 18, 1, 7, 13, 19])
        XCTAssertEqual(first.targets, [1, 7, 13, 19, 2, 8, 14, 20])
        XCTAssertFalse(first.continuesState)
        let last = batcher.batch(2)
        XCTAssertEqual(last.steps, 1)
        XCTAssertEqual(last.inputs, [4, 10, 16, 22])
        XCTAssertEqual(last.targets, [5, 11, 17, 23])
        XCTAssertTrue(last.continuesState)
        XCTAssertNil(last.mask)
        XCTAssertEqual(batcher.targetCount, 20)
    }

    func testStreamTooShort() {
        XCTAssertThrowsError(try StreamBatcher(ids: TokenIDs([1, 2, 3], vocabularySize: 5), batchSize: 2, steps: 4))
    }

    func makeSequences(maxLength: Int, batch: Int = 2) throws -> (SequenceBatcher, Vocabulary) {
        let text = "a b c d e\nf\n\ng h\n"
        let tokenizer = WordTokenizer()
        let vocabulary = try Vocabulary(counts: tokenizer.count(Array(text.utf8)),
                                        specials: Vocabulary.extraSpecials(level: .word, sequenceMode: true))
        let ids = tokenizer.encode(Array(text.utf8), vocabulary: vocabulary).ids
        return (try SequenceBatcher(ids: ids, separatorID: vocabulary.eosID, vocabulary: vocabulary, batchSize: batch,
                                    maxLength: maxLength, seed: 5), vocabulary)
    }

    func testSequencesAreFramedTruncatedPaddedAndMasked() throws {
        let (batcher, v) = try makeSequences(maxLength: 4)
        XCTAssertEqual(batcher.lineCount, 3) // the empty line is skipped
        let batch = batcher.batch(0, order: [0, 1])
        let id = { (t: String) in Int32(v.id(for: t)!) }
        let pad = Int32(v.padID!)
        XCTAssertEqual(batch.steps, 4)
        // row 0: <bos> a b c d e <eos> truncated to 4 predictions; row 1: <bos> f <eos> padded
        XCTAssertEqual(batch.inputs, [id("<bos>"), id("<bos>"), id("a"), id("f"), id("b"), pad, id("c"), pad])
        XCTAssertEqual(batch.targets, [id("a"), id("f"), id("b"), id("<eos>"), id("c"), pad, id("d"), pad])
        XCTAssertEqual(batch.mask, [1, 1, 1, 1, 1, 0, 1, 0])
        XCTAssertEqual(batch.countedPositions, 6)
        XCTAssertFalse(batch.continuesState)
        let last = batcher.batch(1, order: [0, 1, 2])
        XCTAssertEqual(last.batchSize, 1)
        XCTAssertEqual(last.targets, [id("g"), id("h"), id("<eos>")])
    }

    func testShufflingIsSeededAndChangesByEpoch() throws {
        let (a, _) = try makeSequences(maxLength: 10)
        let (b, _) = try makeSequences(maxLength: 10)
        XCTAssertEqual(a.order(epoch: 0), b.order(epoch: 0))
        XCTAssertEqual(Set(a.order(epoch: 0)), [0, 1, 2])
        let orders = Set((0..<10).map { a.order(epoch: $0) })
        XCTAssertGreaterThan(orders.count, 1)
    }

    func testTokenIDsWidth() {
        XCTAssertEqual(TokenIDs([1, 2], vocabularySize: 65_536).bytesPerID, 2)
        let wide = TokenIDs([70_000, 2], vocabularySize: 70_001)
        XCTAssertEqual(wide.bytesPerID, 4)
        XCTAssertEqual(Array(wide), [70_000, 2])
    }
}
