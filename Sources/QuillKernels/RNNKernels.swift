/// Element-wise work of a vanilla RNN step: h' = tanh(a) or relu(a), a the summed pre-activation.
public enum RNNKernels {
    /// A vanilla RNN's nonlinearity.
    public enum Activation: Sendable { case tanh, relu }

    /// h' = f(a) for (B, H) pre-activations `a`, written to `hiddenOut`.
    public static func forward(count: Int, activation: Activation, preactivation a: UnsafePointer<Float>,
                               hiddenOut: UnsafeMutablePointer<Float>) {
        hiddenOut.update(from: a, count: count)
        switch activation {
        case .tanh: VectorMath.apply(hiddenOut, count: count, VectorMath.tanh)
        case .relu: for j in 0..<count { hiddenOut[j] = max(0, hiddenOut[j]) }
        }
    }

    /// da = dh'⊙f′, with f′ taken from the output h' (1 − h'² for tanh, [h' > 0] for relu).
    public static func backward(count: Int, activation: Activation, output: UnsafePointer<Float>,
                                hiddenGrad dh: UnsafePointer<Float>, preactivationGrad da: UnsafeMutablePointer<Float>) {
        switch activation {
        case .tanh: for j in 0..<count { da[j] = dh[j] * (1 - output[j] * output[j]) }
        case .relu: for j in 0..<count { da[j] = output[j] > 0 ? dh[j] : 0 }
        }
    }
}
