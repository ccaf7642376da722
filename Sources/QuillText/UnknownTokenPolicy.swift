
/// What training does with tokens of its text that a fixed vocabulary (a fine-tuned model's)
/// lacks.
public enum UnknownTokenPolicy: String, Codable, Sendable, CaseIterable {
    /// Read them as `<unk>`: the model learns to predict `<unk>` where they stood.
    case unk
    /// Leave them out of the token stream, as if the text did not hold them (character level).
    case skip
    /// Refuse the text, counting what is missing, so nothing is trained on silently altered text.
    case refuse
}
