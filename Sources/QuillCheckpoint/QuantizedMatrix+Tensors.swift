import QuillCore
import QuillModel

extension QuantizedMatrix {
    /// The stored bytes as safetensors tensors: `name` (F32, BF16 or I8), and for int8
    /// `name.scale` (F32, one per row).
    package func tensors(name: String) -> [(String, SafeTensors.Tensor)] {
        let shape = [rows, columns], count = rows * columns
        switch format {
        case .f32:
            return [(name, .init(shape: shape, floats: dequantized()))]
        case .bf16:
            var ordered = [UInt16](repeating: 0, count: count)
            for r in 0..<rows { for c in 0..<columns { ordered[r * columns + c] = half(r, c).littleEndian } }
            return [(name, .init(dtype: .bf16, shape: shape, bytes: ordered.withUnsafeBytes { Array($0) }))]
        case .int8:
            var ordered = [Int8](repeating: 0, count: count)
            for r in 0..<rows { for c in 0..<columns { ordered[r * columns + c] = code(r, c) } }
            return [(name, .init(dtype: .i8, shape: shape, bytes: ordered.withUnsafeBytes { Array($0) })),
                    (name + ".scale", .init(shape: [rows], floats: scales!.array))]
        }
    }
}
