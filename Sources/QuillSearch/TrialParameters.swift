import QuillModel
import QuillTraining

/// The settings one search trial trains with: what `SearchSpace` samples.
public struct TrialParameters: Codable, Equatable, Sendable {
    /// The starting learning rate (the schedule decays it over the trial's budget).
    public var learningRate: Double
    /// H.
    public var hiddenSize: Int
    /// L.
    public var layers: Int
    /// E (equal to H when tied).
    public var embeddingSize: Int
    /// The decoder shares the embedding matrix.
    public var tieWeights: Bool
    /// Dropout on the embedding, between layers and before the decoder.
    public var dropout: Float
    /// Weight-drop on the hidden-to-hidden matrices.
    public var weightDrop: Float
    /// Whole-token embedding dropout.
    public var embeddingDropout: Float
    /// Variational (locked) dropout masks.
    public var lockedDropout: Bool
    /// T.
    public var sequenceLength: Int
    /// B.
    public var batchSize: Int
    /// The optimizer.
    public var optimizer: Optimizer.Kind
    /// M of the attention head (`--attention --attention-memory M`); nil: no head. Optional, so a
    /// trial logged before the search had an `attention` key reads as a model without one.
    public var attentionMemory: Int? = nil
    /// Weight decay, when not the optimizer's default. The space does not search it; the time-only
    /// recipe, which the search starts from, may set one.
    public var weightDecay: Float? = nil
    /// Decay of the weight average that is validated and saved (nil: none); like `weightDecay`,
    /// set only by the recipe.
    public var averageDecay: Double? = nil
    /// The bpe vocabulary size, when the space searches it (nil: the search base's, which is the
    /// time-only recipe's unless the caller set one).
    public var vocabularySize: Int? = nil

    /// The given parameters.
    public init(learningRate: Double, hiddenSize: Int, layers: Int, embeddingSize: Int, tieWeights: Bool = false, dropout: Float,
                weightDrop: Float, embeddingDropout: Float, lockedDropout: Bool, sequenceLength: Int, batchSize: Int,
                optimizer: Optimizer.Kind) {
        self.learningRate = learningRate
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.embeddingSize = embeddingSize
        self.tieWeights = tieWeights
        self.dropout = dropout
        self.weightDrop = weightDrop
        self.embeddingDropout = embeddingDropout
        self.lockedDropout = lockedDropout
        self.sequenceLength = sequenceLength
        self.batchSize = batchSize
        self.optimizer = optimizer
    }

    /// The parameters `options` trains with.
    public init(of options: TrainingOptions) {
        self.init(learningRate: options.learningRate, hiddenSize: options.hiddenSize, layers: options.layers,
                  embeddingSize: options.embeddingSize, tieWeights: options.tieWeights, dropout: options.dropout, weightDrop: options.regularization.weightDrop,
                  embeddingDropout: options.regularization.embeddingDropout, lockedDropout: options.regularization.lockedDropout,
                  sequenceLength: options.sequenceLength, batchSize: options.batchSize, optimizer: options.optimizer.kind)
        let decay = options.optimizer.weightDecay
        weightDecay = decay == optimizer.defaultWeightDecay ? nil : decay
        averageDecay = options.averageDecay
        attentionMemory = options.attention ? options.attentionMemory : nil
    }

    /// Sets these parameters in `options`, leaving the rest as they are.
    public func apply(to options: inout TrainingOptions) {
        options.learningRate = learningRate
        options.hiddenSize = hiddenSize
        options.layers = layers
        options.embeddingSize = embeddingSize
        options.tieWeights = tieWeights
        options.dropout = dropout
        options.regularization.weightDrop = weightDrop
        options.regularization.embeddingDropout = embeddingDropout
        options.regularization.lockedDropout = lockedDropout
        options.sequenceLength = sequenceLength
        options.batchSize = batchSize
        // The kind's own default decay comes with it, as the winner's command will train.
        options.optimizer.switchKind(to: optimizer)
        if let weightDecay { options.optimizer.weightDecay = weightDecay }
        if let averageDecay { options.averageDecay = averageDecay }
        if let vocabularySize { options.bytePairVocabularySize = vocabularySize }
        options.attention = attentionMemory != nil
        if let attentionMemory { options.attentionMemory = attentionMemory }
    }

    /// These parameters with `vocabularySize` set.
    func with(vocabularySize size: Int?) -> TrialParameters {
        var p = self
        p.vocabularySize = size
        return p
    }
}
