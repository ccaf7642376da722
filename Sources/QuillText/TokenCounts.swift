
/// How often each distinct token occurs in a text, in order of first appearance.
public struct TokenCounts: Sendable {
    /// Distinct tokens as UTF-8 bytes.
    public var tokens: [[UInt8]] = []
    /// `counts[i]` is the number of occurrences of `tokens[i]`.
    public var counts: [Int] = []

    /// No tokens.
    public init() {}

    /// Tokens (UTF-8 bytes) with their counts, in the same order.
    public init(tokens: [[UInt8]], counts: [Int]) {
        precondition(tokens.count == counts.count)
        self.tokens = tokens
        self.counts = counts
    }

    /// Total number of tokens in the text.
    public var total: Int { counts.reduce(0, +) }
    /// Number of distinct tokens.
    public var distinct: Int { tokens.count }
}
