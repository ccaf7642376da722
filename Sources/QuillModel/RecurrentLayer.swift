
/// A recurrent layer: a cell's equations around a `RecurrentCore` that holds its weights, buffers
/// and the products every cell shares. Each cell is one type conforming to this protocol, so a
/// new cell that forgets a pass does not compile, rather than failing at run time.
protocol RecurrentLayer: AnyObject, InspectableLayer {
    /// The weights, buffers and shared products of this layer.
    var core: RecurrentCore { get }

    /// Runs T steps from h0 (and c0 for cells with a cell state), each (B, H); writes the final
    /// states back into them.
    func forward(input x: UnsafePointer<Float>, steps t: Int, batch b: Int,
                 h0: UnsafeMutablePointer<Float>, c0: UnsafeMutablePointer<Float>?)

    /// Backward through the last `forward`.
    /// - Parameters:
    ///   - outputGrad: (T·B, H) gradient with respect to the layer's outputs.
    ///   - inputGrad: (T·B, In) receives the gradient with respect to X (nil: not needed).
    ///   - hiddenGrad, cellGrad: (B, H) gradient reaching (hT, cT) on entry; on exit the gradient
    ///     with respect to (h0, c0). `cellGrad` is nil for cells without a cell state.
    func backward(input x: UnsafePointer<Float>, outputGrad: UnsafePointer<Float>, inputGrad: UnsafeMutablePointer<Float>?,
                  hiddenGrad: UnsafeMutablePointer<Float>, cellGrad: UnsafeMutablePointer<Float>?)
}

extension RecurrentLayer {
    /// The layer's output after `forward`: (T·B, H).
    var output: UnsafeMutablePointer<Float> { core.output }
}

/// What a layer's last `forward` leaves readable besides its output, for looking inside a model.
protocol InspectableLayer {
    /// (T·B, H) cell state after each step, or nil for cells without one.
    var cellStates: UnsafePointer<Float>? { get }
    /// (T·B, G·H) activated gates of each step in the cell's block order, or nil for cells whose
    /// forward keeps no gates (a vanilla RNN's only activation is its output).
    var activatedGates: UnsafePointer<Float>? { get }
}
