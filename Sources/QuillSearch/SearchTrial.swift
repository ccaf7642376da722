
/// One trial of a search: a configuration trained at one rung, and what came of it.
public struct SearchTrial: Equatable, Sendable {
    /// Where a trial stands. A completed trial always has its loss, so ranking never meets a
    /// finished trial without one.
    public enum Status: Equatable, Sendable {
        /// About to run (what `HyperparameterSearch.Event.trialStarted` carries).
        case pending
        /// Trained to its budget and validated: its best validation loss, nats per token (per
        /// character when the space searches bpe vocabulary sizes).
        case completed(loss: Double)
        /// Diverged, could not run, or ended before any validation (the message says why); it is
        /// never promoted.
        case failed(message: String)

        /// "pending", "completed" or "failed", as the search log and report spell it.
        public var name: String {
            switch self {
            case .pending: return "pending"
            case .completed: return "completed"
            case .failed: return "failed"
            }
        }
    }

    /// The configuration's number (0 = the first sampled); the same at every rung it reaches.
    public var id: Int
    /// The rung (0 = the first, shortest).
    public var rung: Int
    /// What it trained with.
    public var parameters: TrialParameters
    /// Optimizer steps taken.
    public var steps = 0
    /// Training speed.
    public var tokensPerSecond = 0.0
    /// Wall-clock seconds the trial took, setup and validation included (what the budget pays).
    public var seconds = 0.0
    /// Seconds of training it was given (its `--max-time`); nil in logs written before it was kept.
    public var trainingSeconds: Double?
    /// How it ended, or that it has not yet.
    public var status = Status.pending

    /// A trial about to run.
    public init(id: Int, rung: Int, parameters: TrialParameters) {
        self.id = id
        self.rung = rung
        self.parameters = parameters
    }

    /// The best validation loss of a completed trial; nil while pending or when it failed.
    public var validationLoss: Double? {
        // An exhaustive switch: the `if case` form of this crashed Swift 6.3.1's optimizer in
        // release builds ("Found ownership error?!" in CopyPropagation, where callers map it).
        switch status {
        case .completed(let loss): return loss
        case .pending, .failed: return nil
        }
    }
}
