import QuillCheckpoint

/// One validation.
public struct ValidationReport: Sendable {
    /// What was measured.
    public let record: TrainingRecord
    /// Best so far: `model.safetensors` was rewritten.
    public let improved: Bool
    /// Bits per character (`TokenLevel.bitsPerCharacter`: nil at word level when the validation
    /// text has words the vocabulary lacks).
    public let bitsPerCharacter: Double?
    /// Bits per UTF-8 byte of the validation text, counted as `bitsPerCharacter` is (nil where it
    /// is); equal to it for ASCII text.
    public let bitsPerByte: Double?
}
