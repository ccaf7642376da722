import QuillTraining

/// A trial's line in `search.jsonl` keeps the flat keys logs have always had (`validationLoss`,
/// `status`, `message`), so a search saved by an earlier Quill still resumes; only a completed
/// trial without its loss, which the old type allowed and the new one cannot hold, is refused.
extension SearchTrial: Codable {
    private enum CodingKeys: String, CodingKey {
        case id, rung, parameters, steps, validationLoss, tokensPerSecond, seconds, trainingSeconds, status, message
    }

    /// Reads a trial from its log line.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(Int.self, forKey: .id)
        rung = try c.decode(Int.self, forKey: .rung)
        parameters = try c.decode(TrialParameters.self, forKey: .parameters)
        steps = try c.decode(Int.self, forKey: .steps)
        tokensPerSecond = try c.decode(Double.self, forKey: .tokensPerSecond)
        seconds = try c.decode(Double.self, forKey: .seconds)
        trainingSeconds = try c.decodeIfPresent(Double.self, forKey: .trainingSeconds)
        switch try c.decode(String.self, forKey: .status) {
        case "pending": status = .pending
        case "completed": status = .completed(loss: try c.decode(Double.self, forKey: .validationLoss))
        case "failed": status = .failed(message: try c.decodeIfPresent(String.self, forKey: .message) ?? "")
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .status, in: c, debugDescription: "unknown trial status '\(other)'")
        }
    }

    /// Writes a trial as its log line.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(rung, forKey: .rung)
        try c.encode(parameters, forKey: .parameters)
        try c.encode(steps, forKey: .steps)
        try c.encode(tokensPerSecond, forKey: .tokensPerSecond)
        try c.encode(seconds, forKey: .seconds)
        try c.encodeIfPresent(trainingSeconds, forKey: .trainingSeconds)
        try c.encode(status.name, forKey: .status)
        switch status {
        case .pending: break
        case .completed(let loss): try c.encode(loss, forKey: .validationLoss)
        case .failed(let message): try c.encode(message, forKey: .message)
        }
    }
}
