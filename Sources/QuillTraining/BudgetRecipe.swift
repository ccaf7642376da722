import QuillCore
import QuillKernels
import QuillModel
import QuillText

/// What a run bounded only by time trains with when the caller chooses nothing else: the model
/// size, regularisation and schedule that measured best for such a budget (see the README's
/// quality table). The budget and the level decide, and for a character run or a short word run
/// also the text's length and the build's pace: they set a short character run's dropout and, for
/// a text it would read more than 13 times, its model, the long character row's weight decay, and
/// a word run's dropout and weight-drop, heavier the more times it would read the text. A longer
/// character run affords a larger model, which needs more regularisation to use its extra epochs;
/// word models share their embedding with the decoder (up to a vocabulary where an adaptive softmax
/// replaces it) and need more dropout than character models, and a short word run, whose steps the
/// softmax over the vocabulary makes few, takes one wide layer at a high rate.
package struct BudgetRecipe: Equatable, Sendable {
    /// H.
    public var hiddenSize: Int
    /// L.
    public var layers: Int
    /// E.
    public var embeddingSize: Int
    /// Shared encoder and decoder (word level: E = H).
    public var tieWeights = false
    /// Dropout (locked: one mask per sequence).
    public var dropout: Float
    /// Weight-drop on the hidden-to-hidden matrices.
    public var weightDrop: Float
    /// Adam's starting rate; the schedule is cosine to zero over the budget after `warmupSteps`.
    public var learningRate: Double
    /// Steps of linear warmup.
    public var warmupSteps: Int
    /// The optimizer.
    public var optimizer = Optimizer.Kind.adam
    /// Its weight decay (decoupled, for AdamW).
    public var weightDecay: Float = 0
    /// Decay of the weight average that is validated and saved (nil: none).
    public var averageDecay: Double? = nil
    /// One attention head over past states (`TrainingOptions.attention`, default memory).
    public var attention = false
    /// The share of the time validations during the run may take (`TrainingOptions.validationShare`).
    public var validationShare = 0.05
    /// Tokens a bpe vocabulary learns (`TrainingOptions.bytePairVocabularySize`); nil at the other levels.
    public var bytePairVocabularySize: Int? = nil
    /// The vocabulary size from which a word model takes an adaptive softmax, untied
    /// (`TrainingOptions.adaptiveSoftmaxFrom`); nil at the other levels.
    public var adaptiveSoftmaxFrom: Int? = nil

    /// Where a word run's softmax over the vocabulary costs so many steps that the adaptive softmax
    /// wins: at five minutes it lost at 14,144 words (perplexity 227 against 209: it overfit in the
    /// passes it bought) and won at 24,771 (474 against 510) and 38,435 (208 against 496);
    /// docs/adaptive-softmax.md.
    static let adaptiveSoftmaxVocabulary = 20_000

    /// The longest budget of the short character row (2 × 256, which the bpe level takes too); at the
    /// character level it is the row whose dropout follows the text.
    static let shortCharacterBudget = 10 * 60.0

    /// Characters a second the short character row's 2 × 256 model trained at with two threads on
    /// this project's machine, with its validations: the pace from which a run's passes over its
    /// text are estimated before the text is read. An AVX2 build, 2026-12-07: 33,000–35,000 (the
    /// same morning, before a restart, ~18,500); an AVX-512 build on the same machine the same
    /// evening: 49,000–51,700 (three five-minute tiny-shakespeare runs, 7,189–7,579 steps).
    package static let charactersPerSecond = KernelTarget.avx512 ? 51_000.0 : 34_000.0

    /// The longest budget of the short word row (1 × 400 tied), whose dropout follows the text.
    static let shortWordBudget = 15 * 60.0

    /// Words a second the short word row (1 × 400 tied, with its head, on WikiText-2's 14,144-word
    /// vocabulary) trained at with two threads, with its validations: 676–701 steps of 2,048 words in
    /// five minutes on an AVX2 build, 1,021–1,065 on an AVX-512 build on the same machine, the same
    /// day (2026-12-07). A larger vocabulary trains slower (the softmax) and a smaller one faster; the
    /// estimate leaves that out.
    package static let wordsPerSecond = KernelTarget.avx512 ? 7_100.0 : 4_700.0

    /// Characters a word takes, with its space and its share of the line ends, in estimating a word
    /// text's length from its characters: 5.14 in WikiText-2's test.txt, 5.46 in PTB's.
    package static let charactersPerWord = 5.3

    /// A short word run's dropout and weight-drop by how many times it would read its text: the last
    /// pair whose `abovePasses` its estimate exceeds. Five minutes of WikiText-2 (docs/quality.md): on
    /// an AVX2 build (5.5–5.8 passes made, 5.95 estimated) 0.4 and 0.2 gave perplexity 189.40, 0.5 and
    /// 0.3 185.68, 0.6 and 0.4 192.55; on an AVX-512 build (8.5–9.1 made, 8.99 estimated) 215.39,
    /// 187.00, 179.68, and 0.7 and 0.5 192.41. On PTB's 82,430 words (44–47 passes made, 25
    /// estimated: its 6,050-word vocabulary trains faster than the pace's 14,144) the first three were best at the first
    /// validation, the eighth pass (221.99, 189.10, 177.56), and worse after it; 0.7 and 0.5
    /// improved to the twenty-first: 163.68 (168.15 at the end). The lines are put between.
    package static let wordRegularization: [(abovePasses: Double, dropout: Float, weightDrop: Float)] = [
        (0, 0.5, 0.3), (7, 0.6, 0.4), (15, 0.7, 0.5),
    ]

    /// Below this many estimated passes a short character run trains without dropout: on a 4.3 MB
    /// text (4.08 M training characters, 2.5 passes in five minutes) dropout 0 won 0.016 nats over the recipe's 0.1, on
    /// WikiText-2's 1.26 MB (8) it lost 0.013, and on tiny-shakespeare (4.5 passes on a slower
    /// day) it lost; the line is put between (docs/quality.md).
    static let dropoutFreeBelowPasses = 4.0

    /// Above this many estimated passes a short character run takes the long row (2 × 384, AdamW,
    /// more dropout and weight-drop) instead. Five minutes on an AVX-512 build: tiny-shakespeare,
    /// 14.4 estimated passes, the short row overfit after the ninth (1.4718–1.4753 in three runs)
    /// and the long row reached 1.4600; WikiText-2's characters, 12.2, the short row won (1.2427
    /// against 1.2582); docs/quality.md. The line is put between.
    static let longRowAbovePasses = 13.0

    /// Whether a character run of `seconds` the short row would read `passes` times takes the long
    /// row: every run over ten minutes, and a shorter one on a text read more than 13 times.
    private static func takesLongRow(seconds: Double, passes: Double) -> Bool {
        seconds > shortCharacterBudget || passes > longRowAbovePasses
    }

    /// The long row's pace as a share of the short row's (3,713 against 7,547 steps in the same
    /// five minutes on tiny-shakespeare; 25,060 characters a second over thirty minutes on an
    /// AVX-512 build, 16,500 on an AVX2 build).
    package static let longRowRelativePace = 0.5

    /// Above this many estimated passes of the long row it takes AdamW's decay at
    /// `heavierWeightDecay` instead of 0.1. Thirty minutes on an AVX2 build: tiny-shakespeare (28.9
    /// estimated, 26–28 made) 1.4120 with 0.3 against 1.4183–1.4256 with 0.1 in three runs, PTB's
    /// characters (61 made) 1.1437 against 1.1525; WikiText-2's characters (24.4 estimated, 22 made)
    /// 1.2124 against 1.1956, still improving at the end with 0.1. On an AVX-512 build (43.3
    /// estimated, 41.5–44.0 made) tiny-shakespeare: 1.3977, 1.4004, 1.4044 with 0.3, 1.4074 with 0.1
    /// (best at its 38th pass, flat after). The line is put between.
    package static let heavierDecayAbovePasses = 26.0

    /// The long row's AdamW decay for a text it reads more than `heavierDecayAbovePasses` times:
    /// the decay held the training loss up (1.22 against 1.16 at the end) where the validation loss
    /// had gone flat; 1.0 held the model back from the start (docs/training-budget.md).
    package static let heavierWeightDecay: Float = 0.3

    /// How many times the short row of `level` would read a training text of `trainingCharacters`
    /// in `seconds`, where the recipe looks at it (the character rows at any budget, the short word
    /// row; nil elsewhere). The pace is `charactersPerSecond` or `wordsPerSecond` at two threads and
    /// taken as half that at one; more threads are not counted as faster (neither is measured).
    public static func estimatedPasses(seconds: Double, level: TokenLevel, trainingCharacters: Int,
                                       threads: Int = Parallel.threadCount) -> Double? {
        let tokensPerSecond: Double, tokens: Double
        switch level {
        case .char:
            (tokensPerSecond, tokens) = (charactersPerSecond, Double(trainingCharacters))
        case .word where seconds <= shortWordBudget:
            (tokensPerSecond, tokens) = (wordsPerSecond, Double(trainingCharacters) / charactersPerWord)
        default:
            return nil
        }
        return seconds * tokensPerSecond * Double(min(max(threads, 1), 2)) / 2 / max(tokens, 1)
    }

    /// The recipe for `seconds` of training at `level`. Given the training text's length in
    /// characters (`TrainingOptions.estimatedTrainingCharacters()`), a short character run also
    /// fits its dropout, or takes the long row, the long row its weight decay, and a short word run
    /// its dropout and weight-drop, by how many times it will read the text, at the pace of
    /// `threads` (by default the kernels' thread count); without it, the row of the budget and level.
    public static func recipe(seconds: Double, level: TokenLevel, trainingCharacters: Int? = nil,
                              threads: Int = Parallel.threadCount) -> BudgetRecipe {
        var recipe = row(seconds: seconds, level: level)
        guard let characters = trainingCharacters,
              let passes = estimatedPasses(seconds: seconds, level: level, trainingCharacters: characters, threads: threads)
        else { return recipe }
        if level == .word {
            // A text read more often overfits sooner: the row's dropout and weight-drop follow the passes.
            let pair = wordRegularization.last { passes > $0.abovePasses } ?? wordRegularization[0]
            (recipe.dropout, recipe.weightDrop) = (pair.dropout, pair.weightDrop)
        } else if takesLongRow(seconds: seconds, passes: passes) {
            // Over ten minutes this is the row already; a short run's text read more than 13 times
            // is overfit by the small model before the budget ends.
            recipe = longCharacterRow(bytePairVocabularySize: nil)
            // A text the long row reads that often stops improving with 0.1 long before the end.
            if passes * longRowRelativePace > heavierDecayAbovePasses { recipe.weightDecay = heavierWeightDecay }
        } else if passes < dropoutFreeBelowPasses {
            // A text read only a few times is not overfit; dropout would only slow its learning.
            recipe.dropout = 0
        }
        return recipe
    }

    /// How many times the row `recipe` chooses is expected to read the text: `estimatedPasses`
    /// (the short row's), or about half as many for the long row (a character run over ten
    /// minutes, or one the text sends there).
    public static func expectedPasses(seconds: Double, level: TokenLevel, trainingCharacters: Int,
                                      threads: Int = Parallel.threadCount) -> Double? {
        guard let passes = estimatedPasses(seconds: seconds, level: level, trainingCharacters: trainingCharacters,
                                           threads: threads) else { return nil }
        let longRow = level == .char && takesLongRow(seconds: seconds, passes: passes)
        return longRow ? passes * longRowRelativePace : passes
    }

    /// The table's row for `seconds` of training at `level`, whatever the text.
    private static func row(seconds: Double, level: TokenLevel) -> BudgetRecipe {
        let minutes = seconds / 60
        if level == .word {
            if seconds <= shortWordBudget {
                // The softmax over the vocabulary is most of a word model's cost, so a short run gets
                // few steps: one wide layer at a high rate learned fastest (0.36–0.49 nats lower at
                // 4 minutes on PTB and WikiText-2 than 2 × 256 at 0.003; see the README). An
                // attention head cost 4% of the steps of three 5-minute WikiText-2 runs and won 0.043
                // nats on their means, four times their spread; at 15 minutes (9 epochs) it lost
                // 0.048 (docs/attention.md), so only the shortest budgets take it.
                // Its dropout and weight-drop are `wordRegularization`'s first pair, which a text's
                // length may raise.
                let (_, dropout, weightDrop) = wordRegularization[0]
                return BudgetRecipe(hiddenSize: 400, layers: 1, embeddingSize: 400, tieWeights: true,
                                    dropout: dropout, weightDrop: weightDrop, learningRate: 0.009, warmupSteps: 100, attention: minutes <= 5,
                                    adaptiveSoftmaxFrom: adaptiveSoftmaxVocabulary)
            }
            return BudgetRecipe(hiddenSize: 512, layers: 2, embeddingSize: 512, tieWeights: true,
                                dropout: 0.3, weightDrop: 0.2, learningRate: 0.003, warmupSteps: 100,
                                adaptiveSoftmaxFrom: adaptiveSoftmaxVocabulary)
        }
        // The bpe level takes the character rows with 1,024 tokens: on tiny-shakespeare they beat
        // 2,048 at 5 and 30 minutes, and 2 × 384 with heavier dropout (5 minutes) and heavier
        // dropout (30) lost (docs/bpe.md).
        let tokens = level == .bpe ? 1024 : nil
        if seconds <= shortCharacterBudget {
            // The average's gain here is within run-to-run noise (0.0015 nats on the means at 5 minutes
            // on tiny-shakespeare; ties on PTB and WikiText-2), but every run with it met the 1.50 target.
            return BudgetRecipe(hiddenSize: 256, layers: 2, embeddingSize: 128, dropout: 0.1, weightDrop: 0,
                                learningRate: 0.004, warmupSteps: 100, averageDecay: 0.999, bytePairVocabularySize: tokens)
        }
        return longCharacterRow(bytePairVocabularySize: tokens)
    }

    /// The character row of budgets over ten minutes, and of a short run on a text it would read
    /// more than `longRowAbovePasses` times.
    private static func longCharacterRow(bytePairVocabularySize tokens: Int?) -> BudgetRecipe {
        // Without them the 2 × 384 model stopped improving in its last third (1.4644 at 30 minutes on
        // tiny-shakespeare); AdamW's decay and the weight average took it to 1.4361.
        BudgetRecipe(hiddenSize: 384, layers: 2, embeddingSize: 128, dropout: 0.25, weightDrop: 0.1,
                     learningRate: 0.004, warmupSteps: 200, optimizer: .adamw, weightDecay: 0.1, averageDecay: 0.999,
                     bytePairVocabularySize: tokens)
    }

    /// Sets the recipe in `options`, except the settings in `kept` (those the caller chose), and
    /// makes time the run's limit: no epoch limit, a cosine schedule to zero.
    /// The settings it may set are the rows of `TrainingSetting.all` marked `chosenByBudget`
    /// (TrainingSettingTests holds the two together).
    public func apply(to options: inout TrainingOptions, keeping kept: Set<Setting>) {
        func take(_ s: Setting, _ body: () -> Void) { if !kept.contains(s) { body() } }
        take(.hiddenSize) { options.hiddenSize = hiddenSize }
        take(.layers) { options.layers = layers }
        take(.embeddingSize) { options.embeddingSize = embeddingSize }
        // Tying needs E = H; it follows the recipe only when the caller chose neither size, and
        // never with an adaptive softmax, which has no decoder matrix to tie.
        if !kept.contains(.tieWeights) && !kept.contains(.embeddingSize) && !kept.contains(.hiddenSize) {
            options.tieWeights = tieWeights && options.adaptiveSoftmax == nil
        }
        // Locked masks come with the recipe's dropout; a dropout the caller chose keeps its own masks.
        take(.dropout) {
            options.dropout = dropout
            options.regularization.lockedDropout = dropout > 0
        }
        take(.weightDrop) { options.regularization.weightDrop = weightDrop }
        take(.learningRate) { options.learningRate = learningRate }
        take(.decayShape) { options.decayShape = .cosine }
        take(.warmupSteps) { options.warmupSteps = warmupSteps }
        take(.optimizer) { options.optimizer.kind = optimizer }
        // The recipe's decay belongs to its optimizer; another optimizer keeps its own default.
        take(.weightDecay) { options.optimizer.weightDecay = options.optimizer.kind == optimizer ? weightDecay : options.optimizer.kind.defaultWeightDecay }
        take(.averageDecay) { options.averageDecay = averageDecay }
        take(.attention) { options.attention = attention }
        // A tie the caller chose, on or off, leaves the decoder to the caller (cutoffs chosen win in
        // any case), and a model too narrow for the default cutoffs' projections keeps its softmax.
        if options.level == .word && !kept.contains(.tieWeights) && options.defaultCutoffsFit {
            take(.adaptiveSoftmaxFrom) { options.adaptiveSoftmaxFrom = adaptiveSoftmaxFrom }
        }
        // A tokenizer given (--tokenizer) brings its own vocabulary.
        if let tokens = bytePairVocabularySize, options.tokenizerFile == nil {
            take(.bytePairVocabularySize) { options.bytePairVocabularySize = tokens }
        }
        take(.epochs) { options.epochs = TrainingOptions.unlimitedEpochs }
        // A validation schedule the caller chose (--eval-every) is kept whole.
        if !kept.contains(.evaluateEvery) { take(.validationShare) { options.validationShare = validationShare } }
    }
}
