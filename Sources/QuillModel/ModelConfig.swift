import QuillCore

/// The shape of a model: everything needed to rebuild it from its weights.
public struct ModelConfig: Codable, Equatable, Sendable {
    /// Weight initialisation scheme.
    public enum Initialization: String, Codable, Sendable, CaseIterable {
        /// PyTorch's defaults in word_language_model: recurrent weights and biases U(−1/√H, 1/√H),
        /// encoder and decoder weights U(−0.1, 0.1), decoder bias 0.
        case pytorch
        /// Glorot/Xavier uniform weights U(±√(6 / (fan_in + fan_out))), biases 0.
        case xavier
        /// Every parameter, biases included, U(−r, r) with r = `initializationRange` (Zaremba et
        /// al.'s LSTM language models use r = 0.1 or 0.05).
        case uniform
    }

    /// Recurrent cell type: the one registration point of a cell (its file holds the rest).
    public enum Cell: String, Codable, Sendable, CaseIterable {
        case lstm
        case gru
        case rnnTanh = "rnn-tanh"
        case rnnRelu = "rnn-relu"

        /// Gate blocks stacked along the first axis of W_ih and W_hh (PyTorch's layout).
        public var gateCount: Int {
            switch self {
            case .lstm: return 4
            case .gru: return 3
            case .rnnTanh, .rnnRelu: return 1
            }
        }

        /// Whether the cell carries a cell state besides the hidden state.
        public var hasCellState: Bool { self == .lstm }

        /// PyTorch's name for the mode (`nn.RNNBase` mode; also the fixtures' `cell` metadata).
        public var pytorchName: String {
            switch self {
            case .lstm: return "LSTM"
            case .gru: return "GRU"
            case .rnnTanh: return "RNN_TANH"
            case .rnnRelu: return "RNN_RELU"
            }
        }

        /// The cell PyTorch calls `pytorchName` (case-insensitive), or nil.
        public init?(pytorchName: String) {
            guard let cell = Cell.allCases.first(where: { $0.pytorchName == pytorchName.uppercased() }) else { return nil }
            self = cell
        }

        func makeLayer(index: Int, inputSize: Int, hiddenSize: Int, parameters: ParameterStore,
                       gradients: ParameterStore) -> RecurrentLayer {
            let core = RecurrentCore(index: index, inputSize: inputSize, hiddenSize: hiddenSize, gateCount: gateCount,
                                     parameters: parameters, gradients: gradients)
            switch self {
            case .lstm: return LSTMLayer(core: core)
            case .gru: return GRULayer(core: core)
            case .rnnTanh, .rnnRelu: return RNNLayer(core: core, activation: self == .rnnTanh ? .tanh : .relu)
            }
        }
    }

    /// V: vocabulary size (rows of the embedding, outputs of the decoder).
    public var vocabularySize: Int
    /// E: embedding size.
    public var embeddingSize: Int
    /// H: hidden size of every recurrent layer.
    public var hiddenSize: Int
    /// L: number of stacked recurrent layers.
    public var layers: Int
    /// Dropout probability on the embedding output, between layers and before the decoder.
    public var dropout: Float
    /// The decoder reuses the encoder matrix (needs E = H).
    public var tieWeights: Bool
    /// The recurrent cell.
    public var cell: Cell
    /// How `LanguageModel.initialize` draws the weights.
    public var initialization: Initialization
    /// r of `.uniform` initialisation.
    public var initializationRange: Float
    /// The attention head over a memory of past states (docs/attention.md), or nil for none. Nil
    /// is left out of the encoded config, so a model without attention encodes as it always has.
    public var attention: Attention?
    /// The adaptive softmax in place of the decoder (`AdaptiveSoftmax`), or nil for the full
    /// softmax. Nil is left out of the encoded config, as `attention` is.
    public var adaptiveSoftmax: AdaptiveSoftmax?

    /// A config; `validate()` checks it.
    public init(vocabularySize: Int, embeddingSize: Int, hiddenSize: Int, layers: Int, dropout: Float = 0,
                tieWeights: Bool = false, cell: Cell = .lstm, initialization: Initialization = .pytorch,
                initializationRange: Float = 0.1, attention: Attention? = nil,
                adaptiveSoftmax: AdaptiveSoftmax? = nil) {
        self.vocabularySize = vocabularySize
        self.embeddingSize = embeddingSize
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.dropout = dropout
        self.tieWeights = tieWeights
        self.cell = cell
        self.initialization = initialization
        self.initializationRange = initializationRange
        self.attention = attention
        self.adaptiveSoftmax = adaptiveSoftmax
    }

    /// Largest sizes a model may have. Far beyond what fits in memory on one machine, but small
    /// enough that every derived size (gate rows, parameter counts, byte counts) fits in an Int, so
    /// a config read from a damaged or hostile file is refused before anything is built from it.
    public static let limits = (vocabulary: 1 << 26, embedding: 1 << 20, hidden: 1 << 20, layers: 256)

    /// Checks sizes and combinations; throws `QuillError.invalidSetting` naming the setting.
    public func validate() throws {
        let limits = Self.limits
        for (setting, value, limit) in [(Setting.vocabularySize, vocabularySize, limits.vocabulary),
                                        (.embeddingSize, embeddingSize, limits.embedding),
                                        (.hiddenSize, hiddenSize, limits.hidden), (.layers, layers, limits.layers)] {
            if value <= 0 { throw QuillError.invalidSetting(.positive(setting, value)) }
            if value > limit {
                throw QuillError.invalidSetting(.init(setting, value, "\(setting.rawValue) is \(value), above the limit of \(limit)"))
            }
        }
        guard dropout >= 0 && dropout < 1 else {
            throw QuillError.invalidSetting(.init(.dropout, dropout, "dropout must be in [0, 1), got \(dropout)"))
        }
        if tieWeights && embeddingSize != hiddenSize {
            throw QuillError.invalidSetting(.init(.tieWeights, tieWeights, "tieWeights needs embeddingSize equal to hiddenSize (got \(embeddingSize) and \(hiddenSize))",
                                                  related: [.embeddingSize, .hiddenSize]))
        }
        guard initializationRange > 0 && initializationRange.isFinite else {
            throw QuillError.invalidSetting(.init(.initializationRange, initializationRange, "initializationRange must be positive, got \(initializationRange)"))
        }
        try attention?.validate()
        if let adaptiveSoftmax {
            if tieWeights {
                // The head and tails are not the embedding's shape, so nothing can be shared.
                throw QuillError.invalidSetting(.init(.tieWeights, tieWeights, "tieWeights cannot be used with adaptiveSoftmax (the adaptive softmax has no V × H decoder to share with the embedding)",
                                                      related: [.adaptiveSoftmax]))
            }
            try adaptiveSoftmax.validate(vocabularySize: vocabularySize, hiddenSize: hiddenSize)
        }
    }

    /// Rows of the input-to-hidden and hidden-to-hidden matrices per layer (4H for an LSTM, 3H for
    /// a GRU, H for a vanilla RNN).
    public var gateRows: Int { cell.gateCount * hiddenSize }

    /// Parameter names, shapes and order, as PyTorch's word_language_model `state_dict` lists them
    /// (without `decoder.weight` when weights are tied: the encoder matrix serves both).
    public var parameterShapes: [(name: String, shape: [Int])] {
        var shapes: [(String, [Int])] = [("encoder.weight", [vocabularySize, embeddingSize])]
        for k in 0..<layers {
            let input = k == 0 ? embeddingSize : hiddenSize
            shapes.append(("rnn.weight_ih_l\(k)", [gateRows, input]))
            shapes.append(("rnn.weight_hh_l\(k)", [gateRows, hiddenSize]))
            shapes.append(("rnn.bias_ih_l\(k)", [gateRows]))
            shapes.append(("rnn.bias_hh_l\(k)", [gateRows]))
        }
        if let attention { shapes += attention.parameterShapes(hiddenSize: hiddenSize) }
        if let adaptiveSoftmax {
            shapes += adaptiveSoftmax.parameterShapes(vocabularySize: vocabularySize, hiddenSize: hiddenSize)
            return shapes
        }
        if !tieWeights { shapes.append(("decoder.weight", [vocabularySize, hiddenSize])) }
        shapes.append(("decoder.bias", [vocabularySize]))
        return shapes
    }

    /// Number of trainable scalars.
    public var parameterCount: Int { parameterShapes.reduce(0) { $0 + $1.shape.reduce(1, *) } }
}
