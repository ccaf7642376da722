/// One token an attention head read while reading another, and the weight it gave it.
public struct AttendedToken: Sendable, Equatable {
    /// The attended token's index in `Inspection.tokens` (at most the reading token's own).
    public let position: Int
    /// Its softmax weight, 0 … 1 (a token's weights over every position it may attend sum to 1).
    public let weight: Float

    /// A link.
    public init(position: Int, weight: Float) {
        self.position = position
        self.weight = weight
    }
}
