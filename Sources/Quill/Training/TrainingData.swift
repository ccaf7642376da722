import Foundation

/// The training and validation texts of a run, encoded, with their batchers.
public struct TrainingData: Sendable {
    public let vocabulary: Vocabulary
    public let trainIDs: TokenIDs
    public let validationIDs: TokenIDs
    /// Validation tokens the vocabulary lacks.
    public let validationUnknown: Int
    public let trainBatcher: TrainBatcher
    public let validationBatcher: TrainBatcher

    /// Reads and splits the text, builds the vocabulary from the training part (or takes
    /// `vocabulary`, when resuming) and prepares the batchers.
    public init(options: TrainingOptions, vocabulary given: Vocabulary? = nil) throws {
        let text = try TextFile(path: options.corpus)
        let trainBytes: [UInt8], validationBytes: [UInt8], validationPath: String
        if let file = options.validationFile {
            trainBytes = text.bytes
            validationBytes = try TextFile(path: file).bytes
            validationPath = file
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
        if let given {
            vocabulary = given
        } else {
            vocabulary = try Vocabulary(counts: tokenizer.count(trainBytes),
                                        specials: Vocabulary.extraSpecials(level: options.level, sequenceMode: sequenceMode),
                                        minimumCount: options.minimumCount, maximumSize: options.maximumVocabulary)
        }
        let train = tokenizer.encode(trainBytes, vocabulary: vocabulary)
        let validation = tokenizer.encode(validationBytes, vocabulary: vocabulary)
        if !sequenceMode && train.ids.count < 2 * options.batchSize + 1 {
            throw QuillError.badText(path: options.corpus, problem: "too short to train on: \(train.ids.count) training tokens, but --batch \(options.batchSize) needs at least \(2 * options.batchSize + 1)")
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
