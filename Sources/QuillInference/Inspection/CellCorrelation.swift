/// Which of a unit's activations a correlation or a shading reads.
public enum ActivationSignal: String, Sendable, Codable, CaseIterable {
    /// The LSTM's cell state c.
    case cellState = "cell"
    /// The layer's output h (the hidden state).
    case output = "output"
}

/// How well one cell (a unit of a layer) tracks a feature of the text.
public struct CellCorrelation: Sendable, Equatable {
    /// The layer, from 0 at the embedding's side.
    public let layer: Int
    /// The unit, 0 ..< H.
    public let unit: Int
    /// The activation correlated.
    public let signal: ActivationSignal
    /// Pearson's r between the feature and the activation over every token.
    public let correlation: Double

    /// A correlation.
    public init(layer: Int, unit: Int, signal: ActivationSignal, correlation: Double) {
        self.layer = layer
        self.unit = unit
        self.signal = signal
        self.correlation = correlation
    }
}

/// Ranks cells by |Pearson's r| with a feature.
public enum CellRanking {
    /// Pearson's correlation of every unit of (N, H) row-major `activations` with `feature`
    /// (N values), in Double; a unit that never changes scores 0. Nil when the feature itself
    /// never changes (no unit can be said to track it).
    public static func correlations(feature: [Double], activations: [Float], units h: Int) -> [Double]? {
        let n = feature.count
        precondition(h > 0 && activations.count == n * h, "activations of \(activations.count) values for \(n) tokens × \(h) units")
        guard n > 1 else { return nil }
        let meanX = feature.reduce(0, +) / Double(n)
        var sxx = 0.0
        for x in feature { sxx += (x - meanX) * (x - meanX) }
        guard sxx > 0 else { return nil }
        var sumY = [Double](repeating: 0, count: h)
        activations.withUnsafeBufferPointer { a in
            for r in 0..<n { for j in 0..<h { sumY[j] += Double(a[r * h + j]) } }
        }
        let meanY = sumY.map { $0 / Double(n) }
        var sxy = [Double](repeating: 0, count: h), syy = [Double](repeating: 0, count: h)
        activations.withUnsafeBufferPointer { a in
            for r in 0..<n {
                let dx = feature[r] - meanX
                for j in 0..<h {
                    let dy = Double(a[r * h + j]) - meanY[j]
                    sxy[j] += dx * dy
                    syy[j] += dy * dy
                }
            }
        }
        return (0..<h).map { j in syy[j] > 0 ? sxy[j] / (sxx * syy[j]).squareRoot() : 0 }
    }

    /// The `top` cells tracking `feature` best, by |r| (ties in layer, unit, signal order), over
    /// each layer's activations of each signal given. A unit appears once, under the signal that
    /// tracks the feature better. Empty when the feature never changes.
    /// - Parameter activations: per signal, per layer, (N, H) row-major.
    public static func rank(feature: [Double], activations: [(signal: ActivationSignal, layers: [[Float]])], units h: Int,
                            top: Int) -> [CellCorrelation] {
        var best: [Int: CellCorrelation] = [:] // keyed by layer · H + unit
        for (signal, layers) in activations {
            for (k, values) in layers.enumerated() {
                guard let rs = correlations(feature: feature, activations: values, units: h) else { return [] }
                for (j, r) in rs.enumerated() {
                    let key = k * h + j
                    if let kept = best[key], abs(kept.correlation) >= abs(r) { continue }
                    best[key] = CellCorrelation(layer: k, unit: j, signal: signal, correlation: r)
                }
            }
        }
        let ordered = best.values.sorted { a, b in
            if abs(a.correlation) != abs(b.correlation) { return abs(a.correlation) > abs(b.correlation) }
            return (a.layer, a.unit) < (b.layer, b.unit)
        }
        return Array(ordered.prefix(max(0, top)))
    }
}
