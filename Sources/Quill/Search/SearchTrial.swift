/// One trial of a search: a configuration trained at one rung, and what came of it.
public struct SearchTrial: Codable, Equatable, Sendable {
    /// How a trial ended.
    public enum Status: String, Codable, Sendable {
        /// Trained to its budget and validated.
        case completed
        /// Diverged or could not run (the message says why); it is never promoted.
        case failed
    }

    /// The configuration's number (0 = the first sampled); the same at every rung it reaches.
    public var id: Int
    /// The rung (0 = the first, shortest).
    public var rung: Int
    /// What it trained with.
    public var parameters: TrialParameters
    /// Optimizer steps taken.
    public var steps = 0
    /// Its best validation loss (nats per token); nil when it failed.
    public var validationLoss: Double?
    /// Training speed.
    public var tokensPerSecond = 0.0
    /// Wall-clock seconds the trial took, setup and validation included (what the budget pays).
    public var seconds = 0.0
    /// Seconds of training it was given (its `--max-time`); nil in logs written before it was kept.
    public var trainingSeconds: Double?
    /// How it ended.
    public var status = Status.completed
    /// Why it failed.
    public var message: String?

    /// A trial about to run.
    public init(id: Int, rung: Int, parameters: TrialParameters) {
        self.id = id
        self.rung = rung
        self.parameters = parameters
    }
}
