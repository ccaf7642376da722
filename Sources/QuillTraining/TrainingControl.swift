/// What the front end answers to each event.
public enum TrainingControl: Sendable {
    case proceed
    /// Finish the current step, save and return (Ctrl-C).
    case stop
}
