
/// How training text is cut into rows.
public enum TrainingMode: String, Codable, Sendable, CaseIterable {
    /// The text as one stream, cut into windows whose state carries over (truncated BPTT).
    case stream
    /// One `<bos>`…`<eos>` line per row, padded or truncated to the maximum length.
    case lines
}
