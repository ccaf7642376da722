
/// The learning rate over a run: constant, step decay after a number of epochs, and plateau
/// annealing on validation loss; also keeps the early-stopping count.
///
/// All of its state is in this value, which is saved with the resume state so a resumed run
/// follows the same schedule.
package struct LearningRateSchedule: Codable, Equatable, Sendable {
    /// The rate for the next step.
    public private(set) var learningRate: Double
    /// Factor applied at each epoch end from `decayAfter` on (1: none).
    public private(set) var decay: Double
    /// Epochs before step decay starts.
    public private(set) var decayAfter: Int
    /// The rate is divided by this after a validation without improvement (1: off).
    public private(set) var plateauFactor: Double
    /// Validations without improvement before early stopping (nil: never).
    public private(set) var patience: Int?
    /// Lowest loss among the scheduled validations.
    public private(set) var bestLoss: Double?
    /// Scheduled validations since the last improvement.
    public private(set) var validationsWithoutImprovement = 0

    /// A schedule starting at `learningRate`.
    public init(learningRate: Double, decay: Double = 1, decayAfter: Int = 0, plateauFactor: Double = 1,
                patience: Int? = nil) {
        self.learningRate = learningRate
        self.decay = decay
        self.decayAfter = decayAfter
        self.plateauFactor = plateauFactor
        self.patience = patience
    }

    /// The schedule `options` ask for, at its start.
    public init(options: TrainingOptions) {
        self.init(learningRate: options.learningRate, decay: options.learningRateDecay, decayAfter: options.learningRateDecayAfter,
                  plateauFactor: options.plateauFactor, patience: options.patience)
    }

    /// Changes the schedule of a resumed run from here on, keeping its history (best loss,
    /// validations without improvement): a new `learningRate` replaces the current rate, which the
    /// decay and plateau rules then scale as usual.
    public mutating func retune(learningRate newRate: Double?, decay: Double, decayAfter: Int, plateauFactor: Double,
                                patience: Int?) {
        if let newRate { learningRate = newRate }
        self.decay = decay
        self.decayAfter = decayAfter
        self.plateauFactor = plateauFactor
        self.patience = patience
    }

    /// Called when epoch `completed` (1-based count of finished epochs) ends: step decay.
    public mutating func epochEnded(completed: Int) {
        if decay != 1 && completed >= decayAfter { learningRate *= decay }
    }

    /// Records a scheduled validation; returns whether it improved on the best so far. Without
    /// improvement the rate is divided by the plateau factor.
    @discardableResult
    public mutating func validated(loss: Double) -> Bool {
        if let best = bestLoss, !(loss < best) {
            validationsWithoutImprovement += 1
            if plateauFactor > 1 { learningRate /= plateauFactor }
            return false
        }
        bestLoss = loss
        validationsWithoutImprovement = 0
        return true
    }

    /// True once `patience` validations in a row have not improved.
    public var shouldStopEarly: Bool {
        guard let patience else { return false }
        return validationsWithoutImprovement >= patience
    }
}
