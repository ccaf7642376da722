import QuillKernels

/// Global gradient-norm clipping, as PyTorch's `clip_grad_norm_`: when the L2 norm of all
/// gradients together exceeds `maxNorm`, every gradient is scaled by maxNorm / (norm + 1e-6).
public enum GradientClipping {
    /// The global L2 norm, summed in Double in a fixed order.
    public static func norm(_ gradients: ParameterStore) -> Double {
        let g = gradients.values
        var total = 0.0
        var i = 0
        let n = gradients.count
        while i < n {
            var partial: Float = 0
            let end = min(n, i + 4096)
            for j in i..<end { partial += g[j] * g[j] }
            total += Double(partial)
            i = end
        }
        return total.squareRoot()
    }

    /// Clips in place; returns the norm before clipping.
    @discardableResult
    public static func clip(_ gradients: ParameterStore, maxNorm: Double) -> Double {
        let total = norm(gradients)
        if maxNorm > 0 && total > maxNorm {
            let scale = Float(maxNorm / (total + 1e-6))
            let g = gradients.values
            for i in 0..<gradients.count { g[i] *= scale }
        }
        return total
    }
}
