/// How the learning rate is shaped over the whole budget of a run, on top of
/// `LearningRateSchedule` (step decay, plateaus): a linear warmup over the first steps, then a
/// cosine or linear decay that reaches its floor exactly when the run's budget ends, whichever of
/// `epochs`, `maxSteps` or `maxTime` ends it first.
public enum DecayShape: String, Codable, Sendable, CaseIterable {
    /// No decay after the warmup.
    case constant
    /// Half a cosine from 1 down to the floor.
    case cosine
    /// A straight line from 1 down to the floor.
    case linear
}
