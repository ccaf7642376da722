import QuillCheckpoint
import QuillKernels
import QuillModel

/// Global gradient-norm clipping, as PyTorch's `clip_grad_norm_`: when the L2 norm of all
/// gradients together exceeds `maxNorm`, every gradient is scaled by maxNorm / (norm + 1e-6).
package enum GradientClipping {
    /// The global L2 norm, summed in fixed blocks and a fixed order (the same whatever the
    /// thread count).
    public static func norm(_ gradients: ParameterStore) -> Double {
        UpdateKernels.sumOfSquares(gradients.values, count: gradients.count).squareRoot()
    }

    /// The factor that brings a gradient of norm `norm` within `maxNorm` (1 when it already is).
    public static func scale(norm: Double, maxNorm: Double) -> Float {
        maxNorm > 0 && norm > maxNorm ? Float(maxNorm / (norm + 1e-6)) : 1
    }

    /// Clips in place; returns the norm before clipping.
    @discardableResult
    public static func clip(_ gradients: ParameterStore, maxNorm: Double) -> Double {
        let total = norm(gradients)
        let factor = scale(norm: total, maxNorm: maxNorm)
        if factor != 1 {
            let g = gradients.values
            for i in 0..<gradients.count { g[i] *= factor }
        }
        return total
    }
}
