import QuillText

/// The tokens of a run's texts that a fixed vocabulary lacks (fine-tuning a model on new text),
/// counted before training so they are reported up front rather than discovered in the samples.
public struct MissingTokens: Sendable, Equatable {
    /// Occurrences in the training text.
    public let training: Int
    /// Occurrences in the validation text.
    public let validation: Int
    /// Distinct missing tokens with their counts in both texts, most frequent first (ties by
    /// bytes), at most `listed` of them.
    public let examples: [(token: String, count: Int)]
    /// Distinct missing tokens in all.
    public let distinct: Int
    /// What the run does with them.
    public let policy: UnknownTokenPolicy

    static let listed = 8

    init(training trainBytes: [UInt8], validation validationBytes: [UInt8], tokenizer: any Tokenizer,
         vocabulary: Vocabulary, policy: UnknownTokenPolicy) {
        var counts: [[UInt8]: Int] = [:]
        var inTraining = 0, inValidation = 0
        for (bytes, isTraining) in [(trainBytes, true), (validationBytes, false)] {
            let counted = tokenizer.count(bytes)
            for (token, count) in zip(counted.tokens, counted.counts) {
                // A literal <unk> in the text already stands for an unknown token.
                let id = vocabulary.id(forBytes: token)
                guard id == nil || id == vocabulary.unknownID else { continue }
                counts[token, default: 0] += count
                if isTraining { inTraining += count } else { inValidation += count }
            }
        }
        let ranked = counts.sorted { a, b in a.value != b.value ? a.value > b.value : a.key.lexicographicallyPrecedes(b.key) }
        training = inTraining
        validation = inValidation
        distinct = counts.count
        examples = ranked.prefix(Self.listed).map { (String(decoding: $0.key, as: UTF8.self), $0.value) }
        self.policy = policy
    }

    /// True when the texts hold no token the vocabulary lacks.
    public var isEmpty: Bool { distinct == 0 }

    /// "12 tokens (3 distinct: 'é' ×7, 'ü' ×4, '—' ×1)".
    public var summary: String {
        let shown = examples.map { "\(Display.token($0.token)) ×\($0.count)" }.joined(separator: ", ")
        let more = distinct > examples.count ? ", …" : ""
        return "\(training + validation) tokens (\(distinct) distinct: \(shown)\(more))"
    }

    /// Same counts, examples and policy.
    public static func == (a: MissingTokens, b: MissingTokens) -> Bool {
        a.training == b.training && a.validation == b.validation && a.distinct == b.distinct && a.policy == b.policy
            && a.examples.map(\.token) == b.examples.map(\.token) && a.examples.map(\.count) == b.examples.map(\.count)
    }
}
