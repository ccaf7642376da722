import Foundation

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
    /// With a fixed vocabulary (fine-tuning): the text's tokens it lacks, and what became of them.
    public let missing: MissingTokens?
    /// Batches of the training text.
    public let trainBatcher: TrainBatcher
    /// Batches of the validation text.
    public let validationBatcher: TrainBatcher

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
        let trainBytes: [UInt8], validationBytes: [UInt8], validationPath: String
        if let validation {
            trainBytes = text.bytes
            validationBytes = validation.bytes
            validationPath = validation.path
        } else {
            let cut = Self.splitPoint(text.bytes, fraction: options.validationFraction)
            trainBytes = Array(text.bytes[..<cut])
            validationBytes = Array(text.bytes[cut...])
            validationPath = "\(options.corpus) (last \(options.validationFraction * 100)%)"
            guard !trainBytes.isEmpty, !validationBytes.isEmpty else {
                throw QuillError.badText(path: options.corpus, problem: "too short to hold out \(options.validationFraction * 100)% for validation")
            }
        }
        let tokenizer = options.level.tokenizer
        let sequenceMode = options.mode == .lines
        let vocabulary: Vocabulary
        var train: EncodedText, validation: EncodedText
        if let given {
            vocabulary = given
            let policy = options.effectiveUnknownPolicy
            let report = MissingTokens(training: trainBytes, validation: validationBytes, tokenizer: tokenizer,
                                       vocabulary: vocabulary, policy: policy)
            if policy == .refuse && !report.isEmpty {
                throw QuillError.invalidSetting(InvalidSetting(.unknownPolicy, policy.rawValue, "\(options.corpus): \(report.summary) are not in the model's vocabulary; choose unknownPolicy skip (leave them out) or unk (read them as <unk>)"))
            }
            if policy == .unk && !report.isEmpty && vocabulary.unknownID == nil {
                throw QuillError.invalidSetting(InvalidSetting(.unknownPolicy, policy.rawValue, "\(options.corpus): \(report.summary) are not in the model's vocabulary, which has no <unk> to read them as; set unknownPolicy to skip"))
            }
            missing = report
            train = tokenizer.encode(trainBytes, vocabulary: vocabulary)
            validation = tokenizer.encode(validationBytes, vocabulary: vocabulary)
            if policy == .skip, let unk = vocabulary.unknownID {
                train = train.dropping(id: unk, vocabularySize: vocabulary.count)
                validation = validation.dropping(id: unk, vocabularySize: vocabulary.count)
            }
        } else {
            vocabulary = try Vocabulary(counts: tokenizer.count(trainBytes),
                                        specials: Vocabulary.extraSpecials(level: options.level, sequenceMode: sequenceMode),
                                        minimumCount: options.minimumCount, maximumSize: options.maximumVocabulary)
            missing = nil
            train = tokenizer.encode(trainBytes, vocabulary: vocabulary)
            validation = tokenizer.encode(validationBytes, vocabulary: vocabulary)
        }
        if !sequenceMode && train.ids.count < 2 * options.batchSize + 1 {
            throw QuillError.invalidSetting(.init(.batchSize, options.batchSize, "\(options.corpus): too short to train on: \(train.ids.count) training tokens, but batchSize \(options.batchSize) needs at least \(2 * options.batchSize + 1)"))
        }
        guard validation.unknown < validation.tokenCount else {
            throw QuillError.badText(path: validationPath, problem: "none of its \(validation.tokenCount) tokens is in the training vocabulary")
        }
        self.vocabulary = vocabulary
        trainIDs = train.ids
        validationIDs = validation.ids
        validationUnknown = validation.unknown

        let separator = vocabulary.lineEndID(level: options.level)
        if sequenceMode {
            trainBatcher = .lines(try SequenceBatcher(ids: train.ids, separatorID: separator, vocabulary: vocabulary,
                                                      batchSize: options.batchSize, maxLength: options.maxLength,
                                                      seed: options.seed))
            validationBatcher = .lines(try SequenceBatcher(ids: validation.ids, separatorID: separator, vocabulary: vocabulary,
                                                           batchSize: options.batchSize, maxLength: options.maxLength,
                                                           seed: options.seed))
        } else {
            trainBatcher = .stream(try StreamBatcher(ids: train.ids, batchSize: options.batchSize, steps: options.sequenceLength))
            guard validation.ids.count >= 2 else {
                throw QuillError.badText(path: validationPath, problem: "validation text has \(validation.ids.count) token; at least 2 are needed")
            }
            let validationBatch = max(1, min(10, validation.ids.count / (options.sequenceLength + 1)))
            validationBatcher = .stream(try StreamBatcher(ids: validation.ids, batchSize: validationBatch,
                                                          steps: options.sequenceLength))
        }
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

/// A batcher of either mode, behind one interface for the trainer.
public enum TrainBatcher: Sendable {
    case stream(StreamBatcher)
    case lines(SequenceBatcher)

    /// Batches in one epoch.
    public var count: Int {
        switch self {
        case .stream(let s): return s.count
        case .lines(let s): return s.count
        }
    }

    /// The line order of an epoch in lines mode (shuffled by seed and epoch); nil in stream mode.
    public func order(epoch: Int) -> [Int]? {
        if case .lines(let s) = self { return s.order(epoch: epoch) }
        return nil
    }

    /// Batch `index`, with lines taken in `order` (nil: file order, as evaluation reads them).
    public func batch(_ index: Int, order: [Int]?) -> Batch {
        switch self {
        case .stream(let s): return s.batch(index)
        case .lines(let s): return s.batch(index, order: order ?? Array(0..<s.lineCount))
        }
    }

    /// Rows per batch.
    public var batchSize: Int {
        switch self {
        case .stream(let s): return s.batchSize
        case .lines(let s): return s.batchSize
        }
    }
}
