/// Text the model generated during training, from `samplePrompt`, after a validation.
public struct TrainingSample: Sendable {
    /// Optimizer steps taken.
    public let step: Int
    /// The prompt the sample continues.
    public let prompt: String
    /// The generated text (without the prompt).
    public let text: String
}
