import Foundation
import Quill
import QuillKernels
import XCTest

/// A run whose only limit is time takes its model, regularisation and schedule from the budget,
/// except what the caller chose.
final class BudgetRecipeTests: XCTestCase {
    func testRecipeGrowsWithTheBudgetAndKeepsChosenSettings() {
        let short = BudgetRecipe.recipe(seconds: 300, level: .char), long = BudgetRecipe.recipe(seconds: 1800, level: .char)
        XCTAssertGreaterThan(long.hiddenSize, short.hiddenSize)
        XCTAssertGreaterThan(long.dropout, short.dropout)
        let word = BudgetRecipe.recipe(seconds: 300, level: .word)
        XCTAssertTrue(word.tieWeights && word.embeddingSize == word.hiddenSize)

        var o = TrainingOptions(corpus: "c.txt", outputFolder: nil)
        o.hiddenSize = 64
        o.dropout = 0.5
        long.apply(to: &o, keeping: [.hiddenSize, .dropout])
        XCTAssertEqual(o.hiddenSize, 64, "chosen")
        XCTAssertEqual(o.dropout, 0.5, "chosen")
        XCTAssertFalse(o.regularization.lockedDropout, "a chosen dropout keeps its own masks")
        XCTAssertEqual(o.embeddingSize, long.embeddingSize)
        XCTAssertEqual(o.regularization.weightDrop, long.weightDrop)
        XCTAssertEqual(o.decayShape, .cosine)
        XCTAssertGreaterThan(o.epochs, 1000, "time is the limit")

        // Over ten minutes: AdamW with its decay (at five minutes it slowed learning more than it
        // helped); every character recipe averages. A chosen optimizer keeps its own default
        // decay, and a chosen average (or none) is kept.
        XCTAssertEqual(short.optimizer, .adam)
        XCTAssertEqual(short.weightDecay, 0)
        XCTAssertNotNil(short.averageDecay)
        XCTAssertEqual(o.optimizer.kind, .adamw)
        XCTAssertEqual(o.optimizer.weightDecay, long.weightDecay)
        XCTAssertGreaterThan(long.weightDecay, 0)
        XCTAssertEqual(o.averageDecay, long.averageDecay)
        var chosen = TrainingOptions(corpus: "c.txt", outputFolder: nil)
        chosen.optimizer = .init(kind: .rmsprop)
        chosen.averageDecay = nil
        long.apply(to: &chosen, keeping: [.optimizer, .averageDecay])
        XCTAssertEqual(chosen.optimizer.kind, .rmsprop)
        XCTAssertEqual(chosen.optimizer.weightDecay, 0, "the recipe's decay is AdamW's, not RMSprop's")
        XCTAssertNil(chosen.averageDecay)

        var tied = TrainingOptions(corpus: "c.txt", outputFolder: nil)
        tied.embeddingSize = 32
        word.apply(to: &tied, keeping: [.embeddingSize])
        XCTAssertFalse(tied.tieWeights, "tying needs E = H, so it follows the recipe only with both sizes")
        XCTAssertNoThrow(try tied.validate())

        // Validation takes a share of the time unless the caller chose when to validate.
        XCTAssertEqual(o.validationShare, long.validationShare)
        var scheduled = TrainingOptions(corpus: "c.txt", outputFolder: nil)
        scheduled.evaluateEvery = 100
        long.apply(to: &scheduled, keeping: [.evaluateEvery])
        XCTAssertNil(scheduled.validationShare, "--eval-every keeps every validation it asks for")

        // A word run of up to five minutes gets an attention head; characters and longer word runs do not.
        XCTAssertTrue(word.attention)
        XCTAssertFalse(short.attention || long.attention)
        XCTAssertFalse(BudgetRecipe.recipe(seconds: 301, level: .word).attention || BudgetRecipe.recipe(seconds: 1800, level: .word).attention)
        var plain = TrainingOptions(corpus: "c.txt", outputFolder: nil)
        word.apply(to: &plain, keeping: [.attention])
        XCTAssertFalse(plain.attention, "chosen: none")

        // The bpe level takes the character rows and 1,024 tokens, unless a size or a tokenizer is given.
        for seconds in [300.0, 1800] {
            var bpe = BudgetRecipe.recipe(seconds: seconds, level: .bpe), char = BudgetRecipe.recipe(seconds: seconds, level: .char)
            XCTAssertEqual(bpe.bytePairVocabularySize, 1024)
            XCTAssertNil(char.bytePairVocabularySize)
            bpe.bytePairVocabularySize = nil
            XCTAssertEqual(bpe, char)
        }
        let bpe = BudgetRecipe.recipe(seconds: 300, level: .bpe)
        var learned = TrainingOptions(corpus: "c.txt", outputFolder: nil)
        learned.level = .bpe
        bpe.apply(to: &learned, keeping: [])
        XCTAssertEqual(learned.bytePairVocabularySize, 1024)
        var sized = learned
        sized.bytePairVocabularySize = 512
        bpe.apply(to: &sized, keeping: [.bytePairVocabularySize])
        XCTAssertEqual(sized.bytePairVocabularySize, 512)
        var given = TrainingOptions(corpus: "c.txt", outputFolder: nil)
        given.level = .bpe
        given.tokenizerFile = "tokenizer.json"
        bpe.apply(to: &given, keeping: [])
        XCTAssertNil(given.bytePairVocabularySize, "a tokenizer brings its own vocabulary")

        var adaptive = TrainingOptions(corpus: "c.txt", outputFolder: nil)
        adaptive.level = .word
        adaptive.adaptiveSoftmax = [20, 50]
        word.apply(to: &adaptive, keeping: [])
        XCTAssertFalse(adaptive.tieWeights, "an adaptive softmax has no decoder matrix to tie")
        XCTAssertNoThrow(try adaptive.validate())
    }

    /// A short character run fits its dropout and its model to how many times it will read its
    /// text: a large text, read a few times, trains without dropout; a text read as often as
    /// tiny-shakespeare in five minutes on an AVX2 build (9.6 passes) keeps the row measured on it;
    /// a small one the short row would read more than 13 times takes the long row, read about half
    /// as often. Texts are sized from this build's pace, so the test holds for either build; a word
    /// run over fifteen minutes and the bpe level are not changed by the text's length.
    func testShortCharacterRunFollowsHowOftenItReadsItsText() throws {
        let shakespeare = 1_059_636 // tiny-shakespeare less its held-out 5%
        func passes(_ characters: Int, seconds: Double = 300, threads: Int = 2) throws -> Double {
            try XCTUnwrap(BudgetRecipe.estimatedPasses(seconds: seconds, level: .char, trainingCharacters: characters, threads: threads))
        }
        XCTAssertEqual(try passes(2 * shakespeare), try passes(shakespeare) / 2, accuracy: 1e-9)
        XCTAssertEqual(try passes(shakespeare, seconds: 150), try passes(shakespeare) / 2, accuracy: 1e-9)
        XCTAssertEqual(try passes(shakespeare, threads: 1), try passes(shakespeare) / 2, accuracy: 1e-9)
        XCTAssertEqual(try passes(shakespeare, threads: 16), try passes(shakespeare), "more threads than measured are not counted as faster")
        /// A text the short row reads `p` times in five minutes at two threads.
        func text(passes p: Double) -> Int { Int(300 * BudgetRecipe.charactersPerSecond / p) }
        XCTAssertEqual(try passes(text(passes: 9.6)), 9.6, accuracy: 1e-3)

        let row = BudgetRecipe.recipe(seconds: 300, level: .char)
        XCTAssertGreaterThan(row.dropout, 0)
        XCTAssertEqual(BudgetRecipe.recipe(seconds: 300, level: .char, trainingCharacters: text(passes: 9.6), threads: 2), row)
        XCTAssertEqual(BudgetRecipe.recipe(seconds: 300, level: .char, trainingCharacters: text(passes: 12.9), threads: 2), row)
        var large = BudgetRecipe.recipe(seconds: 300, level: .char, trainingCharacters: text(passes: 2.5), threads: 2)
        XCTAssertEqual(large.dropout, 0, "read 2.5 times")
        large.dropout = row.dropout
        XCTAssertEqual(large, row, "only the dropout follows a large text")
        var o = TrainingOptions(corpus: "c.txt", outputFolder: nil)
        BudgetRecipe.recipe(seconds: 300, level: .char, trainingCharacters: text(passes: 2.5), threads: 2).apply(to: &o, keeping: [])
        XCTAssertEqual(o.dropout, 0)
        XCTAssertFalse(o.regularization.lockedDropout)

        let longRow = BudgetRecipe.recipe(seconds: 1800, level: .char)
        XCTAssertNotEqual(longRow, row)
        for p in [13.1, 14.6, 40] {
            XCTAssertEqual(BudgetRecipe.recipe(seconds: 300, level: .char, trainingCharacters: text(passes: p), threads: 2), longRow,
                           "read \(p) times by the short row")
            let expected = try XCTUnwrap(BudgetRecipe.expectedPasses(seconds: 300, level: .char, trainingCharacters: text(passes: p), threads: 2))
            XCTAssertEqual(expected, p / 2, accuracy: 1e-3, "the long row reads it about half as often")
        }
        XCTAssertEqual(try XCTUnwrap(BudgetRecipe.expectedPasses(seconds: 300, level: .char, trainingCharacters: text(passes: 9.6), threads: 2)),
                       9.6, accuracy: 1e-3)

        for (seconds, level) in [(1800.0, TokenLevel.word), (300, .bpe), (1800, .bpe)] {
            XCTAssertNil(BudgetRecipe.estimatedPasses(seconds: seconds, level: level, trainingCharacters: 4 * shakespeare))
            XCTAssertEqual(BudgetRecipe.recipe(seconds: seconds, level: level, trainingCharacters: 4 * shakespeare),
                           BudgetRecipe.recipe(seconds: seconds, level: level))
        }
    }

    /// The long character row, over ten minutes or on a short run's small text, takes AdamW's decay
    /// at 0.3 for a text it would read more than 26 times: tiny-shakespeare in thirty minutes (28.9
    /// estimated passes on an AVX2 build's pace, 43 on an AVX-512 build's) does, WikiText-2's
    /// characters on an AVX2 build (24.4) do not. Nothing else follows the text over ten minutes:
    /// a large text read a few times keeps its dropout there.
    func testLongCharacterRowDecaysMoreOnATextItReadsOften() throws {
        /// A text the long row reads `p` times in `seconds` at two threads.
        func text(passes p: Double, seconds: Double = 1800) -> Int {
            Int(seconds * BudgetRecipe.charactersPerSecond * BudgetRecipe.longRowRelativePace / p)
        }
        let longRow = BudgetRecipe.recipe(seconds: 1800, level: .char)
        XCTAssertEqual(longRow.optimizer, .adamw)
        XCTAssertEqual(longRow.weightDecay, 0.1)
        for seconds in [1800.0, 3600, 300] {
            let line = BudgetRecipe.heavierDecayAbovePasses
            XCTAssertEqual(try XCTUnwrap(BudgetRecipe.expectedPasses(seconds: seconds, level: .char,
                                                                      trainingCharacters: text(passes: line + 0.1, seconds: seconds), threads: 2)),
                           line + 0.1, accuracy: 1e-3, "\(seconds) s")
            for p in [line + 0.1, 43, 100] {
                var often = BudgetRecipe.recipe(seconds: seconds, level: .char, trainingCharacters: text(passes: p, seconds: seconds), threads: 2)
                XCTAssertEqual(often.weightDecay, BudgetRecipe.heavierWeightDecay, "read \(p) times in \(seconds) s")
                often.weightDecay = longRow.weightDecay
                XCTAssertEqual(often, longRow, "only the decay follows: read \(p) times in \(seconds) s")
            }
        }
        XCTAssertGreaterThan(BudgetRecipe.heavierWeightDecay, longRow.weightDecay)
        for p in [0.5, 3, 13.5, 24.4, BudgetRecipe.heavierDecayAbovePasses - 0.1] {
            XCTAssertEqual(BudgetRecipe.recipe(seconds: 1800, level: .char, trainingCharacters: text(passes: p), threads: 2), longRow,
                           "read \(p) times")
        }
        XCTAssertEqual(BudgetRecipe.recipe(seconds: 1800, level: .char, trainingCharacters: text(passes: 43), threads: 1), longRow,
                       "one thread reads it half as often")
        // tiny-shakespeare less its held-out 5%, thirty minutes at this build's pace.
        let passes = try XCTUnwrap(BudgetRecipe.expectedPasses(seconds: 1800, level: .char, trainingCharacters: 1_059_636, threads: 2))
        XCTAssertEqual(passes, KernelTarget.avx512 ? 43.3 : 28.9, accuracy: 0.05)
        var o = TrainingOptions(corpus: "c.txt", outputFolder: nil)
        BudgetRecipe.recipe(seconds: 1800, level: .char, trainingCharacters: 1_059_636, threads: 2).apply(to: &o, keeping: [])
        XCTAssertEqual(o.optimizer.weightDecay, BudgetRecipe.heavierWeightDecay)
        o = TrainingOptions(corpus: "c.txt", outputFolder: nil)
        o.optimizer.weightDecay = 0.05
        BudgetRecipe.recipe(seconds: 1800, level: .char, trainingCharacters: 1_059_636, threads: 2).apply(to: &o, keeping: [.weightDecay])
        XCTAssertEqual(o.optimizer.weightDecay, 0.05, "a decay given keeps its value")
    }

    /// A short word run's dropout and weight-drop follow how many times it will read its text,
    /// heavier the more often: WikiText-2's test.txt in five minutes, 5.95 estimated passes at an
    /// AVX2 build's pace, keeps the row's; at 8.99 (an AVX-512 build's) and beyond it takes more. Its
    /// words are estimated from the characters, and the model, rate and head stay the row's.
    func testShortWordRunFollowsHowOftenItReadsItsText() throws {
        /// A text the short word row reads `p` times in `seconds` at two threads.
        func text(passes p: Double, seconds: Double = 300) -> Int {
            Int(seconds * BudgetRecipe.wordsPerSecond / p * BudgetRecipe.charactersPerWord)
        }
        let passes = try XCTUnwrap(BudgetRecipe.estimatedPasses(seconds: 300, level: .word, trainingCharacters: text(passes: 6), threads: 2))
        XCTAssertEqual(passes, 6, accuracy: 1e-3)
        XCTAssertEqual(try XCTUnwrap(BudgetRecipe.expectedPasses(seconds: 300, level: .word, trainingCharacters: text(passes: 20), threads: 2)),
                       20, accuracy: 1e-3, "no other row to take")
        XCTAssertEqual(try XCTUnwrap(BudgetRecipe.estimatedPasses(seconds: 300, level: .word, trainingCharacters: text(passes: 6), threads: 1)),
                       3, accuracy: 1e-3)

        let row = BudgetRecipe.recipe(seconds: 300, level: .word), pairs = BudgetRecipe.wordRegularization
        XCTAssertEqual(pairs[0].abovePasses, 0)
        XCTAssertEqual(row.dropout, pairs[0].dropout)
        XCTAssertEqual(row.weightDrop, pairs[0].weightDrop)
        for (i, pair) in pairs.enumerated() {
            if i > 0 {
                XCTAssertGreaterThan(pair.abovePasses, pairs[i - 1].abovePasses)
                XCTAssertGreaterThan(pair.dropout, pairs[i - 1].dropout, "more passes, more dropout")
            }
            let next = i + 1 < pairs.count ? pairs[i + 1].abovePasses : pair.abovePasses * 4 + 10
            for p in [pair.abovePasses + 0.1, (pair.abovePasses + next) / 2, next - 0.1] {
                for seconds in [300.0, 900] {
                    var recipe = BudgetRecipe.recipe(seconds: seconds, level: .word, trainingCharacters: text(passes: p, seconds: seconds), threads: 2)
                    XCTAssertEqual(recipe.dropout, pair.dropout, "read \(p) times in \(seconds) s")
                    XCTAssertEqual(recipe.weightDrop, pair.weightDrop, "read \(p) times in \(seconds) s")
                    (recipe.dropout, recipe.weightDrop) = (row.dropout, row.weightDrop)
                    XCTAssertEqual(recipe, BudgetRecipe.recipe(seconds: seconds, level: .word), "only the regularisation follows the text")
                }
            }
        }
        let wikiText = 1_255_018 // WikiText-2's test.txt, in characters
        let passesThere = try XCTUnwrap(BudgetRecipe.estimatedPasses(seconds: 300, level: .word, trainingCharacters: wikiText, threads: 2))
        XCTAssertEqual(passesThere, KernelTarget.avx512 ? 8.99 : 5.95, accuracy: 0.01)

        var o = TrainingOptions(corpus: "c.txt", outputFolder: nil)
        o.level = .word
        BudgetRecipe.recipe(seconds: 300, level: .word, trainingCharacters: text(passes: 9), threads: 2).apply(to: &o, keeping: [])
        XCTAssertEqual(o.dropout, pairs[1].dropout)
        XCTAssertTrue(o.regularization.lockedDropout)
        XCTAssertEqual(o.regularization.weightDrop, pairs[1].weightDrop)
    }

    /// The recipe's estimate of the training text's length, from the file before it is read.
    func testTrainingCharactersAreEstimatedFromTheFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("quill-text-size-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let ascii = String(repeating: "wind from the west.\n", count: 1000), greek = String(repeating: "άνεμος από τη δύση.\n", count: 1000)
        try ascii.write(toFile: folder + "/a.txt", atomically: true, encoding: .utf8)
        try greek.write(toFile: folder + "/g.txt", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: folder + "/link.txt", withDestinationPath: folder + "/a.txt")
        func estimate(_ name: String, validation: String? = nil, fraction: Double = 0.05) -> Int? {
            var o = TrainingOptions(corpus: folder + "/" + name, outputFolder: nil)
            o.validationFile = validation
            o.validationFraction = fraction
            return o.estimatedTrainingCharacters()
        }
        let asciiCount = ascii.unicodeScalars.count, greekCount = greek.unicodeScalars.count
        XCTAssertEqual(estimate("a.txt", validation: "v.txt"), asciiCount)
        XCTAssertEqual(try XCTUnwrap(estimate("a.txt")), Int(Double(asciiCount) * 0.95), accuracy: 1)
        XCTAssertEqual(try XCTUnwrap(estimate("a.txt", fraction: 0.2)), Int(Double(asciiCount) * 0.8), accuracy: 1)
        XCTAssertEqual(try XCTUnwrap(estimate("g.txt", validation: "v.txt")), greekCount, accuracy: 2, "characters, not bytes")
        XCTAssertLessThan(greekCount, greek.utf8.count * 2 / 3)
        XCTAssertEqual(estimate("link.txt"), estimate("a.txt"), "a link counts its target")
        XCTAssertNil(estimate("missing.txt"))
        XCTAssertNil(estimate("."), "a folder is not a text")
        XCTAssertNil(estimate("a.txt", fraction: 1e13), "validation refuses the fraction; the estimate does not trap on it")
        // Counted as the reader counts: CR LF is one line end, a byte-order mark is no character.
        try (Data([0xEF, 0xBB, 0xBF]) + Data(ascii.replacingOccurrences(of: "\n", with: "\r\n").utf8)).write(to: URL(fileURLWithPath: folder + "/crlf.txt"))
        XCTAssertEqual(estimate("crlf.txt", validation: "v.txt"), asciiCount)
    }

    /// A word recipe takes an adaptive softmax, untied, once the vocabulary it is built on is large
    /// enough; below that it keeps its tied full softmax. A tie or cutoffs the caller chose win.
    func testLargeWordVocabularyTakesTheAdaptiveSoftmax() throws {
        for seconds in [300.0, 3600] {
            let word = BudgetRecipe.recipe(seconds: seconds, level: .word)
            let from = try XCTUnwrap(word.adaptiveSoftmaxFrom)
            XCTAssertNil(BudgetRecipe.recipe(seconds: seconds, level: .char).adaptiveSoftmaxFrom)
            var o = TrainingOptions(corpus: "c.txt", outputFolder: nil)
            o.level = .word
            word.apply(to: &o, keeping: [])
            XCTAssertNoThrow(try o.validate())
            var small = o, large = o
            small.resolveAdaptiveSoftmax(vocabularySize: from - 1)
            XCTAssertNil(small.adaptiveSoftmax)
            XCTAssertTrue(small.tieWeights)
            XCTAssertNil(small.adaptiveSoftmaxFrom, "decided once: a resumed run reads back what was built")
            large.resolveAdaptiveSoftmax(vocabularySize: from)
            XCTAssertEqual(large.adaptiveSoftmax, ModelConfig.AdaptiveSoftmax.defaultCutoffs)
            XCTAssertFalse(large.tieWeights)
            XCTAssertNil(large.adaptiveSoftmaxFrom)
            XCTAssertNoThrow(try large.modelConfig(vocabularySize: from).validate())

            var tied = TrainingOptions(corpus: "c.txt", outputFolder: nil)
            tied.level = .word
            word.apply(to: &tied, keeping: [.tieWeights])
            XCTAssertNil(tied.adaptiveSoftmaxFrom, "a tie the caller chose keeps the full softmax")
            var cut = o
            cut.adaptiveSoftmax = [20, 50]
            cut.resolveAdaptiveSoftmax(vocabularySize: from)
            XCTAssertEqual(cut.adaptiveSoftmax, [20, 50])
        }
        var chars = TrainingOptions(corpus: "c.txt", outputFolder: nil)
        chars.adaptiveSoftmaxFrom = 20_000
        XCTAssertThrowsError(try chars.validate()) { XCTAssertTrue("\($0)".contains("level word"), "\($0)") }
        var low = chars
        low.level = .word
        low.adaptiveSoftmaxFrom = ModelConfig.AdaptiveSoftmax.defaultCutoffs.last!
        XCTAssertThrowsError(try low.validate()) { XCTAssertTrue("\($0)".contains("must be more than"), "\($0)") }
        low.adaptiveSoftmaxFrom! += 1
        XCTAssertNoThrow(try low.validate())

        // A model too narrow for the default cutoffs' tails (H / 4² < 1) keeps its full softmax.
        var narrow = TrainingOptions(corpus: "c.txt", outputFolder: nil)
        narrow.level = .word
        narrow.hiddenSize = 8
        BudgetRecipe.recipe(seconds: 300, level: .word).apply(to: &narrow, keeping: [.hiddenSize])
        XCTAssertNil(narrow.adaptiveSoftmaxFrom)
        XCTAssertNoThrow(try narrow.validate())
    }
}

extension CLITests {
    func testTimeOnlyRunTakesTheBudgetRecipe() throws {
        // ~4,000 training characters: read 4–13 times in one second at either build's pace and at
        // one or two threads, so the short row with its own dropout (see
        // testShortCharacterRunFollowsHowOftenItReadsItsText).
        let corpus = write(String(repeating: "the keeper lit the lamp at dusk.\nwind from the west.\n", count: 80), "c.txt")
        func config(_ extra: [String], _ out: String) throws -> String {
            let run = try quill(["train", corpus, "--out", out, "--quiet", "--batch", "4", "--seq-len", "8"] + extra)
            XCTAssertEqual(run.status, 0, run.stderr)
            return try quill(["info", out]).stdout
        }
        let recipe = BudgetRecipe.recipe(seconds: 1, level: .char)
        XCTAssertTrue(try config(["--max-time", "1s"], "a").contains("2 × \(recipe.hiddenSize) hidden, embedding \(recipe.embeddingSize)"))
        XCTAssertTrue(try config(["--max-time", "1s", "--hidden", "32"], "b").contains("2 × 32 hidden, embedding \(recipe.embeddingSize)"))
        XCTAssertTrue(try config(["--max-time", "1s", "--epochs", "1"], "c").contains("2 × 256 hidden, embedding 64"),
                      "with --epochs the limit is not time alone: today's defaults")
        // The run says what the budget chose.
        let told = try quill(["train", corpus, "--out", "d", "--max-time", "1s", "--batch", "4", "--seq-len", "8", "--hidden", "32"])
        XCTAssertEqual(told.status, 0, told.stderr)
        let said = told.stdout + told.stderr
        XCTAssertTrue(said.contains("time budget 1s: 2 × 32 lstm, --embed \(recipe.embeddingSize), --dropout \(recipe.dropout) locked"), said)
        XCTAssertTrue(said.contains("adam --lr \(recipe.learningRate)"), said)
        XCTAssertTrue(said.contains("--val-share \(recipe.validationShare)"), said)
        XCTAssertTrue(said.contains("passes over the text"), said)
        // A text the budget reads only a few times trains without dropout (~40 KB in one second).
        let long = write(String(repeating: "the keeper lit the lamp at dusk.\nwind from the west.\n", count: 800), "long.txt")
        let few = try quill(["train", long, "--out", "i", "--max-time", "1s", "--batch", "4", "--seq-len", "8", "--hidden", "32"])
        XCTAssertEqual(few.status, 0, few.stderr)
        XCTAssertTrue((few.stdout + few.stderr).contains("--dropout 0.0, "), few.stdout + few.stderr)
        // One the short row would read more than 13 times takes the long row (~500 characters).
        let short = write(String(repeating: "the keeper lit the lamp at dusk.\nwind from the west.\n", count: 10), "short.txt")
        let often = try quill(["train", short, "--out", "j", "--max-time", "1s", "--batch", "4", "--seq-len", "8", "--hidden", "32"])
        XCTAssertEqual(often.status, 0, often.stderr)
        XCTAssertTrue((often.stdout + often.stderr).contains("--weight-drop 0.1, adamw"), often.stdout + often.stderr)
        // A validation schedule given is kept whole.
        let scheduled = try quill(["train", corpus, "--out", "e", "--max-time", "1s", "--batch", "4", "--seq-len", "8", "--hidden", "32", "--eval-every", "5"])
        XCTAssertEqual(scheduled.status, 0, scheduled.stderr)
        XCTAssertFalse((scheduled.stdout + scheduled.stderr).contains("--val-share"), scheduled.stdout + scheduled.stderr)
        // At the bpe level the line names the tokens the recipe learns.
        let subwords = try quill(["train", corpus, "--out", "h", "--level", "bpe", "--max-time", "1s", "--batch", "4", "--seq-len", "8", "--hidden", "32"])
        XCTAssertEqual(subwords.status, 0, subwords.stderr)
        XCTAssertTrue((subwords.stdout + subwords.stderr).contains("time budget 1s: --vocab-size 1024, 2 × 32 lstm"), subwords.stdout + subwords.stderr)
        // A validation the share leaves out is said, with its cost and the share; the last epoch's is not left out.
        let skipping = try quill(["train", corpus, "--out", "f", "--epochs", "2", "--val-share", "0.000001", "--batch", "4", "--seq-len", "8", "--hidden", "32"])
        XCTAssertEqual(skipping.status, 0, skipping.stderr)
        let lines = skipping.stderr.split(separator: "\n").filter { $0.hasPrefix("validation |") }
        XCTAssertEqual(lines.count, 2, skipping.stderr)
        XCTAssertTrue(lines[0].contains("| epoch 1.00 | skipped: it would take ~") && lines[0].contains("validations may take 0.0001% of the"), String(lines[0]))
        XCTAssertTrue(lines[1].contains("| epoch 2.00 | loss "), String(lines[1]))
        // Nor is a scheduled one the step limit falls on: one line for step 10, not a skip and a validation.
        let limited = try quill(["train", corpus, "--out", "g", "--max-steps", "10", "--eval-every", "5", "--val-share", "0.000001",
                                 "--batch", "4", "--seq-len", "8", "--hidden", "32"])
        XCTAssertEqual(limited.status, 0, limited.stderr)
        let atTen = limited.stderr.split(separator: "\n").filter { $0.hasPrefix("validation | step 10 |") }
        XCTAssertEqual(atTen.count, 1, limited.stderr)
        XCTAssertTrue(atTen[0].contains("| loss "), String(atTen[0]))
    }

    /// A word text the short word row would read many times takes its heaviest dropout, and the
    /// first line says the passes (~310 training characters: 40–122 passes in one second at either build's
    /// pace and one or two threads).
    func testShortWordBudgetFollowsItsText() throws {
        let corpus = write(String(repeating: "the keeper lit the lamp at dusk .\nwind from the west .\n", count: 8), "w.txt")
        let run = try quill(["train", corpus, "--level", "word", "--max-time", "1s", "--out", "a", "--val-fraction", "0.3",
                             "--batch", "2", "--seq-len", "4", "--hidden", "16", "--embed", "16"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let said = run.stdout + run.stderr, heaviest = BudgetRecipe.wordRegularization.last!
        XCTAssertTrue(said.contains("--dropout \(heaviest.dropout) locked, --weight-drop \(heaviest.weightDrop),"), said)
        XCTAssertTrue(said.contains("passes over the text"), said)
    }

    /// The short word recipe's attention head: on unless `--attention=false`, and its memory may be
    /// chosen without `--attention`; at characters, where the recipe has no head, it may not.
    func testShortWordBudgetAddsAttention() throws {
        let corpus = write(String(repeating: "the keeper lit the lamp at dusk .\nwind from the west .\n", count: 60), "w.txt")
        func info(_ extra: [String], _ out: String) throws -> String {
            let run = try quill(["train", corpus, "--level", "word", "--max-time", "1s", "--out", out, "--quiet",
                                 "--batch", "4", "--seq-len", "8", "--hidden", "16", "--embed", "16"] + extra)
            XCTAssertEqual(run.status, 0, run.stderr)
            return try quill(["info", out]).stdout
        }
        let memory = ModelConfig.Attention.defaultMemory
        XCTAssertTrue(try info([], "a").contains("memory \(memory) positions"))
        XCTAssertFalse(try info(["--attention=false"], "b").contains("attention"))
        XCTAssertTrue(try info(["--attention-memory", "8"], "c").contains("memory 8 positions"))
        assertError(try quill(["train", corpus, "--max-time", "1s", "--out", "d", "--attention-memory", "8"]), status: 2,
                    "--attention-memory applies only to a model with a head")
        assertError(try quill(["train", corpus, "--level", "word", "--max-time", "1s", "--out", "e", "--attention=false",
                               "--attention-memory", "8"]), status: 2, "--attention-memory applies only to a model with a head")
    }
}
