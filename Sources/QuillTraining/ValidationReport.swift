import QuillCheckpoint

/// One validation.
public struct ValidationReport: Sendable {
    /// What was measured.
    public let record: TrainingRecord
    /// Best so far: `model.safetensors` was rewritten.
    public let improved: Bool
    /// Bits per character (character level only).
    public let bitsPerCharacter: Double?
}
