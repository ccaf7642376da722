/// One of the model's guesses for a token: a vocabulary id and the probability it gave it.
public struct TokenGuess: Sendable, Equatable {
    /// The guessed token's id.
    public let id: Int
    /// Its probability under the model's softmax.
    public let probability: Double

    /// A guess.
    public init(id: Int, probability: Double) {
        self.id = id
        self.probability = probability
    }
}
