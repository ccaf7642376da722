import Foundation
import QuillCheckpoint
import QuillCore
import QuillModel
import QuillText

/// The training and validation texts of a run, encoded, with their batchers.
public struct TrainingData: Sendable {
    /// The model's vocabulary.
    public let vocabulary: Vocabulary
    /// The training text's ids.
    public let trainIDs: TokenIDs
    /// The validation text's ids.
    public let validationIDs: TokenIDs
    /// Validation tokens the vocabulary lacks.
    public let validationUnknown: Int
    /// Tokens per character (Unicode scalar) of the validation text: what turns a bpe or word
    /// model's nats per token into bits per character.
    public let validationTokensPerCharacter: Double
    /// Characters per UTF-8 byte of the validation text (1 for ASCII): bits per character times
    /// this is bits per byte.
    public let validationCharactersPerByte: Double
    /// With a fixed vocabulary (fine-tuning): the text's tokens it lacks, and what became of them.
    public let missing: MissingTokens?
    /// Batches of the training text.
    package let trainBatcher: TrainBatcher
    /// Batches of the validation text.
    package let validationBatcher: TrainBatcher

    /// Reads and splits the text files `options` names, builds the vocabulary from the training
    /// part (or takes `vocabulary`: a fine-tuned or resumed run's) and prepares the batchers.
    public init(options: TrainingOptions, vocabulary given: Vocabulary? = nil) throws {
        let text = try TextFile(path: options.corpus)
        let validation = try options.validationFile.map { try TextFile(path: $0) }
        try self.init(options: options, text: text, validation: validation, vocabulary: given)
    }

    /// Training data from text in memory: `validationText` nil holds out the last
    /// `options.validationFraction` of `text`. `options.corpus` only labels errors.
    public init(options: TrainingOptions, text: String, validationText: String? = nil, vocabulary given: Vocabulary? = nil) throws {
        try self.init(options: options, text: try TextFile(path: options.corpus, bytes: Array(text.utf8)),
                      validation: try validationText.map { try TextFile(path: options.validationFile ?? "validation text", bytes: Array($0.utf8)) },
                      vocabulary: given)
    }

    private init(options: TrainingOptions, text: TextFile, validation: TextFile?, vocabulary given: Vocabulary?) throws {
        let parts = try Self.split(options: options, text: text, validation: validation)
        let vocabulary: Vocabulary, train: EncodedText, validation: EncodedText
        if let given {
            vocabulary = given
            (train, validation, missing) = try Self.encode(parts, fixedVocabulary: given, options: options)
        } else if options.level == .bpe {
            vocabulary = try Self.learnBytePairs(parts.train, options: options)
            missing = nil
            train = options.level.tokenizer.encode(parts.train, vocabulary: vocabulary)
            validation = options.level.tokenizer.encode(parts.validation, vocabulary: vocabulary)
        } else {
            vocabulary = try Vocabulary(counts: options.level.tokenizer.count(parts.train),
                                        specials: Vocabulary.extraSpecials(level: options.level, sequenceMode: options.mode == .lines),
                                        minimumCount: options.minimumCount, maximumSize: options.maximumVocabulary)
            missing = nil
            train = options.level.tokenizer.encode(parts.train, vocabulary: vocabulary)
            validation = options.level.tokenizer.encode(parts.validation, vocabulary: vocabulary)
        }
        if options.mode != .lines && train.ids.count < 2 * options.batchSize + 1 {
            throw QuillError.invalidSetting(.init(.batchSize, options.batchSize, "\(options.corpus): too short to train on: \(train.ids.count) training tokens, but batchSize \(options.batchSize) needs at least \(2 * options.batchSize + 1)"))
        }
        guard validation.unknown < validation.tokenCount else {
            throw QuillError.badText(path: parts.validationPath, problem: "none of its \(validation.tokenCount) tokens is in the training vocabulary")
        }
        self.vocabulary = vocabulary
        trainIDs = train.ids
        validationIDs = validation.ids
        validationUnknown = validation.unknown
        let characters = UTF8Scanner.scalarCount(parts.validation)
        validationTokensPerCharacter = Double(validation.tokenCount) / Double(max(1, characters))
        validationCharactersPerByte = Double(characters) / Double(max(1, parts.validation.count))
        (trainBatcher, validationBatcher) = try Self.batchers(train: train.ids, validation: validation.ids, vocabulary: vocabulary,
                                                              validationPath: parts.validationPath, options: options)
    }

    /// A bpe vocabulary learned from the training bytes: as many tokens as
    /// `options.bytePairVocabularySize` leaves room for beside the specials and the 256 bytes
    /// (fewer when the text runs out of pairs seen twice); or `options.tokenizerFile`'s.
    static func learnBytePairs(_ bytes: [UInt8], options: TrainingOptions) throws -> Vocabulary {
        // Stream mode only: `TrainingOptions.validate` refuses lines mode at the bpe level.
        if let file = options.tokenizerFile { return try Vocabulary(tokenizerFile: file) }
        return try Vocabulary(learningBytePairsFrom: bytes, size: options.effectiveBytePairVocabularySize,
                              sequenceMode: false)
    }

    /// The training and validation bytes, and the validation text's name for errors.
    private typealias Parts = (train: [UInt8], validation: [UInt8], validationPath: String)

    /// `text` and `validation`, or without a validation file, `text` cut in two.
    private static func split(options: TrainingOptions, text: TextFile, validation: TextFile?) throws -> Parts {
        if let validation { return (text.bytes, validation.bytes, validation.path) }
        let cut = splitPoint(text.bytes, fraction: options.validationFraction)
        let parts = (Array(text.bytes[..<cut]), Array(text.bytes[cut...]), "\(options.corpus) (last \(options.validationFraction * 100)%)")
        guard !parts.0.isEmpty, !parts.1.isEmpty else {
            throw QuillError.badText(path: options.corpus, problem: "too short to hold out \(options.validationFraction * 100)% for validation")
        }
        return parts
    }

    /// Both texts encoded with a vocabulary they were not built from (a fine-tuned or resumed
    /// run's), their missing tokens treated as `options` says.
    private static func encode(_ parts: Parts, fixedVocabulary vocabulary: Vocabulary,
                               options: TrainingOptions) throws -> (EncodedText, EncodedText, MissingTokens) {
        let tokenizer = options.level.tokenizer
        let policy = options.effectiveUnknownPolicy
        let report = MissingTokens(training: parts.train, validation: parts.validation, tokenizer: tokenizer,
                                   vocabulary: vocabulary, policy: policy)
        if policy == .refuse && !report.isEmpty {
            throw QuillError.invalidSetting(InvalidSetting(.unknownPolicy, policy.rawValue, "\(options.corpus): \(report.summary) are not in the model's vocabulary; choose unknownPolicy skip (leave them out) or unk (read them as <unk>)"))
        }
        if policy == .unk && !report.isEmpty && vocabulary.unknownID == nil {
            throw QuillError.invalidSetting(InvalidSetting(.unknownPolicy, policy.rawValue, "\(options.corpus): \(report.summary) are not in the model's vocabulary, which has no <unk> to read them as; set unknownPolicy to skip"))
        }
        var train = tokenizer.encode(parts.train, vocabulary: vocabulary)
        var validation = tokenizer.encode(parts.validation, vocabulary: vocabulary)
        if policy == .skip, let unk = vocabulary.unknownID {
            train = train.dropping(id: unk, vocabularySize: vocabulary.count)
            validation = validation.dropping(id: unk, vocabularySize: vocabulary.count)
        }
        return (train, validation, report)
    }

    /// The batchers of the two texts in `options`' mode.
    private static func batchers(train: TokenIDs, validation: TokenIDs, vocabulary: Vocabulary, validationPath: String,
                                 options: TrainingOptions) throws -> (TrainBatcher, TrainBatcher) {
        if options.mode == .lines {
            let separator = vocabulary.lineEndID(level: options.level)
            func batcher(_ ids: TokenIDs) throws -> TrainBatcher {
                .lines(try SequenceBatcher(ids: ids, separatorID: separator, vocabulary: vocabulary,
                                           batchSize: options.batchSize, maxLength: options.maxLength, seed: options.seed))
            }
            return (try batcher(train), try batcher(validation))
        }
        let trainBatcher = TrainBatcher.stream(try StreamBatcher(ids: train, batchSize: options.batchSize, steps: options.sequenceLength))
        guard validation.count >= 2 else {
            throw QuillError.badText(path: validationPath, problem: "validation text has \(validation.count) token; at least 2 are needed")
        }
        let validationBatch = max(1, min(10, validation.count / (options.sequenceLength + 1)))
        return (trainBatcher, .stream(try StreamBatcher(ids: validation, batchSize: validationBatch, steps: options.sequenceLength)))
    }

    /// Where to cut off the last `fraction` of the text: the first line start at or after the
    /// nominal point, else the next whitespace, else the next UTF-8 scalar boundary.
    static func splitPoint(_ bytes: [UInt8], fraction: Double) -> Int {
        let nominal = min(bytes.count - 1, max(1, Int(Double(bytes.count) * (1 - fraction))))
        if let newline = bytes[nominal...].firstIndex(of: ASCII.newline), newline + 1 < bytes.count {
            return newline + 1
        }
        if let space = bytes[nominal...].firstIndex(where: ASCII.isWhitespace), space + 1 < bytes.count {
            return space + 1
        }
        var i = nominal
        while i < bytes.count && bytes[i] & 0xC0 == 0x80 { i += 1 }
        return i
    }
}
