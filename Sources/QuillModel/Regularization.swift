import QuillCore

/// AWD-LSTM's regularisers (Merity et al., 2017) beyond plain dropout, all of which act only in
/// training. Evaluation and generation run the same network without them, so a model trained with
/// any of them loads and runs anywhere a plain one does (PyTorch included).
public struct Regularization: Codable, Equatable, Sendable {
    /// Embedding dropout: each batch drops whole vocabulary rows with this probability (every
    /// occurrence of a dropped token reads zeros) and scales the kept rows by 1/(1−p).
    public var embeddingDropout: Float = 0
    /// Weight-drop (DropConnect) on every layer's hidden-to-hidden matrix: one mask per batch,
    /// shared by all time steps, survivors scaled by 1/(1−p).
    public var weightDrop: Float = 0
    /// Variational (locked) dropout: the dropout masks on the embedding output, between layers and
    /// before the decoder are drawn once per sequence and reused at every time step, instead of
    /// afresh for every position.
    public var lockedDropout = false
    /// α of activation regularisation: adds α·mean(y²) over the last layer's (dropped-out) outputs y.
    public var activation: Float = 0
    /// β of temporal activation regularisation: adds β·mean((h_t − h_{t−1})²) over the last layer's
    /// outputs before dropout.
    public var temporalActivation: Float = 0

    /// No regulariser besides dropout.
    public init() {}

    /// The given regularisers; the rest off.
    public init(embeddingDropout: Float = 0, weightDrop: Float = 0, lockedDropout: Bool = false,
                activation: Float = 0, temporalActivation: Float = 0) {
        self.embeddingDropout = embeddingDropout
        self.weightDrop = weightDrop
        self.lockedDropout = lockedDropout
        self.activation = activation
        self.temporalActivation = temporalActivation
    }

    /// Whether AR or TAR adds to the loss.
    public var penalizesActivations: Bool { activation > 0 || temporalActivation > 0 }

    /// Throws `QuillError.invalidSetting` for a probability outside [0, 1) or a negative weight.
    public func validate() throws {
        for (setting, p) in [(Setting.embeddingDropout, embeddingDropout), (.weightDrop, weightDrop)] where !(p >= 0 && p < 1) {
            throw QuillError.invalidSetting(.init(setting, p, "\(setting.rawValue) must be in [0, 1), got \(p)"))
        }
        for (setting, w) in [(Setting.activationRegularization, activation), (.temporalActivationRegularization, temporalActivation)]
            where !(w >= 0 && w.isFinite) {
            throw QuillError.invalidSetting(.init(setting, w, "\(setting.rawValue) must be 0 (off) or positive, got \(w)"))
        }
    }
}

extension Regularization {
    private enum CodingKeys: String, CodingKey { case embeddingDropout, weightDrop, lockedDropout, activation, temporalActivation }

    /// Decodes saved settings; fields added later take their defaults.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        embeddingDropout = try c.decodeIfPresent(Float.self, forKey: .embeddingDropout) ?? 0
        weightDrop = try c.decodeIfPresent(Float.self, forKey: .weightDrop) ?? 0
        lockedDropout = try c.decodeIfPresent(Bool.self, forKey: .lockedDropout) ?? false
        activation = try c.decodeIfPresent(Float.self, forKey: .activation) ?? 0
        temporalActivation = try c.decodeIfPresent(Float.self, forKey: .temporalActivation) ?? 0
    }
}
