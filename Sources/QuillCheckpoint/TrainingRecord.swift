import Foundation

/// One validation during training: the row of `metrics.csv` and of the checkpoint's history.
public struct TrainingRecord: Codable, Equatable, Sendable {
    /// Optimizer steps taken when the validation ran.
    public var step: Int
    /// Fractional epoch (2.5 = halfway through the third pass).
    public var epoch: Double
    /// Mean training loss (nats per token) since the previous record.
    public var trainLoss: Double
    /// Mean validation cross-entropy, nats per token.
    public var validationLoss: Double
    /// Learning rate in force at the validation.
    public var learningRate: Double
    /// Training speed of the session so far.
    public var tokensPerSecond: Double
    /// Training seconds since the run began (summed over resumed sessions).
    public var seconds: Double

    /// exp(validation loss); infinite when the loss is not finite.
    public var validationPerplexity: Double { validationLoss.isFinite ? Foundation.exp(validationLoss) : .infinity }

    /// A record of one validation.
    public init(step: Int, epoch: Double, trainLoss: Double, validationLoss: Double, learningRate: Double,
                tokensPerSecond: Double, seconds: Double) {
        self.step = step
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.validationLoss = validationLoss
        self.learningRate = learningRate
        self.tokensPerSecond = tokensPerSecond
        self.seconds = seconds
    }
}

