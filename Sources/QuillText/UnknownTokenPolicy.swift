/// What to do with tokens of a text that a fixed vocabulary lacks: a fine-tuned model's training
/// text, or a prompt given to a trained model.
public enum UnknownTokenPolicy: String, Codable, Sendable, CaseIterable {
    /// Read them as `<unk>` (training: the model learns to predict `<unk>` where they stood).
    case unk
    /// Leave them out, as if the text did not hold them (character level).
    case skip
    /// Refuse the text, naming (training: counting) what is missing, so nothing runs on silently
    /// altered text.
    case refuse

    /// The policy a user names: "error" for `refuse` (the word the command line has always
    /// used), or a case's raw value.
    public init?(spelling: String) {
        if spelling == "error" { self = .refuse } else { self.init(rawValue: spelling) }
    }

    /// The name a user types for this policy (see `init(spelling:)`).
    public var spelling: String { self == .refuse ? "error" : rawValue }
}
