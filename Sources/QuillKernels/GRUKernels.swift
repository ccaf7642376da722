/// Fused element-wise work of one GRU time step (PyTorch's definition, gate blocks r, z, n):
/// r = σ(i_r + h_r), z = σ(i_z + h_z), n = tanh(i_n + r⊙h_n), h' = (1 − z)⊙n + z⊙h,
/// where i_* = W_i*·x + b_i* and h_* = W_h*·h + b_h*.
/// Shapes: `inputGates`, `hiddenGates` (B, 3H); states (B, H).
public enum GRUKernels {
    /// - Parameters:
    ///   - inputGates: input-side pre-activations on entry; activated r, z, n on exit (kept for backward).
    ///   - hiddenGates: hidden-side pre-activations (its n block, h_n, is needed by backward).
    public static func forward(batch: Int, hidden h: Int, inputGates: UnsafeMutablePointer<Float>,
                               hiddenGates: UnsafePointer<Float>, hiddenIn: UnsafePointer<Float>,
                               hiddenOut: UnsafeMutablePointer<Float>) {
        Parallel.forRanges(batch, minimumPerWorker: max(1, 8192 / max(1, h))) { rows in
            for b in rows {
                let gi = inputGates + b * 3 * h, gh = hiddenGates + b * 3 * h
                for j in 0..<(2 * h) { gi[j] += gh[j] }
                VectorMath.apply(gi, count: 2 * h, VectorMath.sigmoid)
                for j in 0..<h { gi[2 * h + j] += gi[j] * gh[2 * h + j] }
                VectorMath.apply(gi + 2 * h, count: h, VectorMath.tanh)
                let hp = hiddenIn + b * h, hn = hiddenOut + b * h
                for j in 0..<h {
                    let z = gi[h + j], n = gi[2 * h + j]
                    hn[j] = n + z * (hp[j] - n)
                }
            }
        }
    }

    /// Backward through one step, in place.
    /// - Parameters:
    ///   - inputGates: activated r, z, n on entry; the gradient of the input-side pre-activations on exit.
    ///   - hiddenGates: hidden-side pre-activations on entry; their gradient on exit.
    ///   - hiddenGrad: (B, H) gradient reaching h' on entry; on exit the part of the previous
    ///     hidden state's gradient that bypasses W_hh (dh'⊙z).
    public static func backward(batch: Int, hidden h: Int, inputGates: UnsafeMutablePointer<Float>,
                                hiddenGates: UnsafeMutablePointer<Float>, hiddenIn: UnsafePointer<Float>,
                                hiddenGrad: UnsafeMutablePointer<Float>) {
        Parallel.forRanges(batch, minimumPerWorker: max(1, 8192 / max(1, h))) { rows in
            for b in rows {
                let gi = inputGates + b * 3 * h, gh = hiddenGates + b * 3 * h
                let hp = hiddenIn + b * h, dh = hiddenGrad + b * h
                for j in 0..<h {
                    let r = gi[j], z = gi[h + j], n = gi[2 * h + j], hn = gh[2 * h + j]
                    let dn = dh[j] * (1 - z) * (1 - n * n)
                    let dr = dn * hn * r * (1 - r)
                    let dz = dh[j] * (hp[j] - n) * z * (1 - z)
                    gi[j] = dr; gi[h + j] = dz; gi[2 * h + j] = dn
                    gh[j] = dr; gh[h + j] = dz; gh[2 * h + j] = dn * r
                    dh[j] *= z
                }
            }
        }
    }
}
