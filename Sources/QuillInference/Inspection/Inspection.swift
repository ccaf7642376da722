import QuillModel
import QuillText

/// What a model did over a text, token by token (`ModelInspector`): how surprised it was, what it
/// guessed, and every unit's activations, for pages and tools that look inside the model.
///
/// Shape letters: N tokens, H hidden units, L layers, G gate blocks. Token i's prediction
/// (`surprisal`, `guesses`, `trueRank`) was made after reading tokens 0 ..< i; its activations
/// are the state once token i has been read. Token 0 has no prediction.
public struct Inspection: Sendable {
    /// The model's shape and cell.
    public let config: ModelConfig
    /// Characters or words.
    public let level: TokenLevel
    /// Tokens in id order.
    public let vocabulary: Vocabulary
    /// The text inspected, verbatim.
    public let text: String
    /// The tokens of `text` with where each stands (N).
    public let tokens: [TokenSpan]
    /// −log₂ p(token i | tokens before it), bits (N; nil for token 0).
    public let surprisal: [Double?]
    /// The model's most probable tokens for each position, most probable first (N; empty for token 0).
    public let guesses: [[TokenGuess]]
    /// The true token's rank among the model's guesses, 1 for its first choice (N; 0 for token 0).
    public let trueRank: [Int]
    /// Per layer, the output h after each token: (N, H) row-major.
    public let outputs: [[Float]]
    /// Per layer, the LSTM's cell state c after each token: (N, H); empty for GRU and RNN cells.
    public let cellStates: [[Float]]
    /// Per layer, the activated gates after each token, (N, G·H) in the cell's block order (LSTM
    /// i, f, g, o; GRU r, z, n) when the inspector was asked to keep them; otherwise empty.
    public let gates: [[Float]]
    /// Per layer, how often each sigmoid gate saturates; empty for vanilla RNN cells.
    public let saturation: [GateSaturation]
    /// With an attention head (`ModelConfig.attention`), per token the tokens the head weighted
    /// most when reading it (itself or earlier, as positions in `tokens`; the memory reaches back
    /// across windows), heaviest first, at most `ModelInspector.attentionTopK`: the head's output
    /// at token i shaped the guesses shown at token i + 1. Empty without a head.
    public let attention: [[AttendedToken]]

    /// Positions with a prediction (N − 1).
    public var scoredTokens: Int { surprisal.lazy.compactMap { $0 }.count }
    /// Summed surprisal over every prediction, bits.
    public var totalBits: Double { surprisal.lazy.compactMap { $0 }.reduce(0, +) }
    /// Mean surprisal per predicted token (bits per character at char level).
    public var bitsPerToken: Double { scoredTokens == 0 ? 0 : totalBits / Double(scoredTokens) }

    /// The signals a ranking reads: the cell state for an LSTM, and the output for every cell.
    public var signals: [(signal: ActivationSignal, layers: [[Float]])] {
        (cellStates.isEmpty ? [] : [(ActivationSignal.cellState, cellStates)]) + [(ActivationSignal.output, outputs)]
    }

    /// The feature at every token.
    public func values(of feature: TextFeature) -> [Double] {
        feature.values(of: tokens.map(\.text), level: level)
    }

    /// For each feature of this level (`TextFeature.features(for:)`), the `top` cells whose
    /// activations correlate best with it (`CellRanking.rank`), in feature order; a feature the
    /// text never varies gets no cells.
    public func ranking(top: Int) -> [(feature: TextFeature, cells: [CellCorrelation])] {
        TextFeature.features(for: level).map { feature in
            (feature, CellRanking.rank(feature: values(of: feature), activations: signals, units: config.hiddenSize, top: top))
        }
    }

    /// Unit `unit` of layer `layer`'s `signal` at every token (N values).
    public func activations(layer: Int, unit: Int, signal: ActivationSignal) -> [Float] {
        let source = signal == .cellState ? cellStates : outputs
        precondition(layer >= 0 && layer < source.count && unit >= 0 && unit < config.hiddenSize, "no \(signal) for layer \(layer), unit \(unit)")
        let h = config.hiddenSize
        return (0..<tokens.count).map { source[layer][$0 * h + unit] }
    }
}
