import QuillCore
import QuillKernels

/// Inverted dropout: in training each element is zeroed with probability p and the survivors are
/// scaled by 1/(1−p), so evaluation needs no rescaling. The mask is kept for backward.
final class Dropout {
    let probability: Float
    private let mask = Workspace()
    private(set) var active = false
    private var count = 0

    init(probability: Float) { self.probability = probability }

    /// Writes dropout(x) into `y` (which may be `x`). Draws the mask from `rng` in element order,
    /// so it depends only on the generator's state.
    /// - Parameters:
    ///   - given: a mask to use instead of drawing one (0 or 1/(1−p) per element), as the parity
    ///     check does to match PyTorch's masks; it must hold `count` values.
    ///   - lockedPeriod: variational (locked) dropout: the first `lockedPeriod` values of the mask
    ///     are drawn and repeated over the rest (`count` must be a multiple), so with time-major
    ///     rows and a period of B·width every time step reuses one mask per sequence.
    func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int,
                 training: Bool, rng: inout SeededGenerator, given: [Float]? = nil, lockedPeriod: Int? = nil) {
        active = training && probability > 0
        count = n
        guard active else {
            if UnsafePointer(y) != x { y.update(from: x, count: n) }
            return
        }
        let m = mask.buffer(n)
        if let given {
            precondition(given.count == n, "a dropout mask of \(given.count) values for \(n) elements")
            given.withUnsafeBufferPointer { m.update(from: $0.baseAddress!, count: n) }
            for i in 0..<n { y[i] = x[i] * m[i] }
            return
        }
        let scale = 1 / (1 - probability)
        let drawn = lockedPeriod ?? n
        precondition(drawn > 0 && n % drawn == 0, "a locked mask of \(drawn) values cannot tile \(n)")
        for i in 0..<drawn { m[i] = rng.nextUniform() < probability ? 0 : scale }
        for start in stride(from: drawn, to: n, by: drawn) { (m + start).update(from: m, count: drawn) }
        for i in 0..<n { y[i] = x[i] * m[i] }
    }

    /// Gradient through the last forward, in place.
    func backward(_ grad: UnsafeMutablePointer<Float>) {
        guard active else { return }
        let m = mask.pointer
        for i in 0..<count { grad[i] *= m[i] }
    }
}
