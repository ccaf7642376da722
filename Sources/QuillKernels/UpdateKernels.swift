/// The element-wise passes over all parameters that end a training step: the gradients' global
/// norm, and the optimizer updates with clipping's scale and the zeroing of the gradients fused
/// into them.
///
/// A word model's parameters are tens of megabytes, so these passes are bound by memory traffic:
/// fusing the clip scale and the zeroing into the update reads and writes the gradients once
/// instead of three times. Every loop is SIMD with the same arithmetic per element as the scalar
/// rule it implements (no reassociation), so each element's result is the same whatever the
/// vector width or thread split.
public enum UpdateKernels {
    /// Elements per block of the norm's sum. Fixed, so the sum's order never depends on the split.
    static let normBlock = 4096

    /// Σ x² over `count` floats: each fixed block of 4,096 summed in float across eight lanes,
    /// then the blocks added in order in Double. Blocks are spread over the workers.
    public static func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double {
        let blocks = (count + normBlock - 1) / normBlock
        if blocks == 0 { return 0 }
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: blocks) { partials in
            let p = partials.baseAddress!
            Parallel.forRanges(blocks, minimumPerWorker: 64) { range in
                for block in range {
                    let start = block * normBlock, end = min(count, start + normBlock)
                    var acc = VectorMath.Vector()
                    var i = start
                    while i < end {
                        let v = Lanes.load(x + i, min(8, end - i))
                        acc = acc.addingProduct(v, v)
                        i += 8
                    }
                    p[block] = Double(acc.sum())
                }
            }
            var total = 0.0
            for block in 0..<blocks { total += p[block] }
            return total
        }
    }

    /// What every update shares: the gradient is `g·scale + weightDecay·w`.
    public struct Common: Sendable {
        /// Step size.
        public var learningRate: Float
        /// Factor on every gradient (clipping's scale).
        public var gradientScale: Float
        /// L2 penalty added to the scaled gradient.
        public var weightDecay: Float
        /// Write zeros over the gradients once they are used.
        public var zeroGradients: Bool

        /// Step settings.
        public init(learningRate: Float, gradientScale: Float = 1, weightDecay: Float = 0, zeroGradients: Bool = false) {
            self.learningRate = learningRate
            self.gradientScale = gradientScale
            self.weightDecay = weightDecay
            self.zeroGradients = zeroGradients
        }
    }

    /// The update rule and its state.
    public enum Rule {
        /// w −= lr·g.
        case sgd
        /// PyTorch's momentum: b = g on the first step, else b = μ·b + g; w −= lr·b.
        case momentum(buffer: UnsafeMutablePointer<Float>, momentum: Float, firstStep: Bool)
        /// m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; w = w·shrink − (lr/c1)·(m / (√v/√c2 + ε)).
        /// `shrink` is AdamW's decoupled decay, 1 − lr·λ (1 for Adam: multiplying by 1 is exact).
        case adam(m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, beta1: Float, beta2: Float,
                  epsilon: Float, correction1: Float, correction2Root: Float, shrink: Float)
        /// v = α·v + (1−α)·g²; w −= lr·g / (√v + ε).
        case rmsprop(v: UnsafeMutablePointer<Float>, alpha: Float, epsilon: Float)
    }

    /// Applies `rule` to `count` parameters `w` from gradients `g`.
    public static func update(_ rule: Rule, _ common: Common, w: UnsafeMutablePointer<Float>,
                              g: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.forRanges(count, granule: 1024, minimumPerWorker: 1 << 16) { range in
            switch rule {
            case .sgd:
                each(range, common, w: w, g: g) { i, n, grad in
                    Lanes.store(Lanes.load(w + i, n) - common.learningRate * grad, w + i, n)
                }
            case let .momentum(b, mu, first):
                each(range, common, w: w, g: g) { i, n, grad in
                    let buffer = first ? grad : mu * Lanes.load(b + i, n) + grad
                    Lanes.store(buffer, b + i, n)
                    Lanes.store(Lanes.load(w + i, n) - common.learningRate * buffer, w + i, n)
                }
            case let .adam(m, v, beta1, beta2, epsilon, correction1, correction2Root, shrink):
                let step = common.learningRate / correction1
                each(range, common, w: w, g: g) { i, n, grad in
                    let mi = beta1 * Lanes.load(m + i, n) + (1 - beta1) * grad
                    let vi = beta2 * Lanes.load(v + i, n) + (1 - beta2) * grad * grad
                    Lanes.store(mi, m + i, n)
                    Lanes.store(vi, v + i, n)
                    let denominator = vi.squareRoot() / correction2Root + epsilon
                    Lanes.store(Lanes.load(w + i, n) * shrink - step * (mi / denominator), w + i, n)
                }
            case let .rmsprop(v, alpha, epsilon):
                each(range, common, w: w, g: g) { i, n, grad in
                    let vi = alpha * Lanes.load(v + i, n) + (1 - alpha) * grad * grad
                    Lanes.store(vi, v + i, n)
                    Lanes.store(Lanes.load(w + i, n) - common.learningRate * grad / (vi.squareRoot() + epsilon), w + i, n)
                }
            }
        }
    }

    /// Runs `body(index, lanes, gradient)` eight elements at a time over `range`, the gradient
    /// already scaled and decayed; zeroes the gradients behind it when asked.
    @inline(__always)
    static func each(_ range: Range<Int>, _ common: Common, w: UnsafeMutablePointer<Float>, g: UnsafeMutablePointer<Float>,
                     _ body: (Int, Int, VectorMath.Vector) -> Void) {
        var i = range.lowerBound
        while i < range.upperBound {
            let n = min(8, range.upperBound - i)
            var grad = Lanes.load(g + i, n) * common.gradientScale
            if common.weightDecay != 0 { grad += common.weightDecay * Lanes.load(w + i, n) }
            body(i, n, grad)
            if common.zeroGradients { Lanes.store(VectorMath.Vector(), g + i, n) }
            i += 8
        }
    }
}
