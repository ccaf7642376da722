import Foundation
import QuillCore
import QuillModel

extension Checkpoint {
    static let weightsKey = "quill.weights"

    /// How the file stored the weight matrices: their dtypes decide, and a loaded checkpoint's
    /// `quill.weights` metadata is set to match (float32 when absent). A loaded checkpoint's
    /// `weights` are float32 whatever the file held: bfloat16 is widened and int8 multiplied by
    /// its row scales.
    public var storedFormat: WeightFormat {
        weights.metadata[Self.weightsKey].flatMap(WeightFormat.init(rawValue:)) ?? .f32
    }

    /// The file form with every weight matrix (the 2-D tensors) stored in `format`; biases stay
    /// float32. A bfloat16 file still loads into PyTorch's `load_state_dict`; an int8 one holds
    /// `name` (I8) and `name.scale` (F32, one per row) and is for Quill only.
    public func safeTensors(storing format: WeightFormat) -> SafeTensors {
        let full = safeTensors()
        guard format != .f32 else { return full }
        var out = SafeTensors(metadata: full.metadata)
        out.metadata[Self.weightsKey] = format.rawValue
        for name in full.order {
            guard let tensor = full[name] else { continue }
            guard tensor.shape.count == 2, let values = tensor.floats(), !values.isEmpty else {
                out.set(name, tensor)
                continue
            }
            // Not empty, so the buffer has a base address.
            let matrix = values.withUnsafeBufferPointer {
                QuantizedMatrix($0.baseAddress!, rows: tensor.shape[0], columns: tensor.shape[1], format: format)
            }
            for (part, stored) in matrix.tensors(name: name) { out.set(part, stored) }
        }
        return out
    }

    /// How `file` stores its weight matrices, decided by their dtypes: I8 (with row scales) is
    /// int8, BF16 is bf16, any other float type float32. `quill.weights` metadata must agree when
    /// present: a file whose metadata says bf16 over int8 codes would otherwise be rounded twice.
    /// Matrices stored in two ways, and an unknown `quill.weights`, are refused too.
    static func storedFormat(of file: SafeTensors, path: String) throws -> WeightFormat {
        func fail(_ problem: String) -> QuillError { .badCheckpoint(path: path, problem: problem) }
        var found: (format: WeightFormat, tensor: String)?
        for name in file.order {
            guard let tensor = file[name], tensor.shape.count == 2, !(name.hasSuffix(".scale") && tensor.dtype == .f32) else { continue }
            let format: WeightFormat = switch tensor.dtype {
            case .i8: .int8
            case .bf16: .bf16
            default: .f32
            }
            if let found, found.format != format {
                throw fail("weight matrices are stored two ways: '\(found.tensor)' as \(found.format.rawValue), '\(name)' as \(format.rawValue) (\(tensor.dtype.rawValue))")
            }
            found = found ?? (format, name)
        }
        guard let stated = file.metadata[weightsKey] else { return found?.format ?? .f32 }
        guard let claimed = WeightFormat(rawValue: stated) else {
            throw fail("\(weightsKey) metadata is '\(stated)', none of \(WeightFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let found, found.format != claimed {
            throw fail("\(weightsKey) metadata says \(claimed.rawValue) but the weight matrices are stored as \(found.format.rawValue) ('\(found.tensor)' is \(file[found.tensor]!.dtype.rawValue))")
        }
        return claimed
    }

    /// An int8 file's matrices as float32 (q × the row's scale), the scale tensors dropped; any
    /// other file unchanged.
    static func dequantizingInt8(_ file: SafeTensors, path: String) throws -> SafeTensors {
        guard file.order.contains(where: { file[$0]?.dtype == .i8 }) else { return file }
        var out = SafeTensors(metadata: file.metadata)
        for name in file.order where !name.hasSuffix(".scale") || file[String(name.dropLast(6))]?.dtype != .i8 {
            guard let tensor = file[name] else { continue }
            guard tensor.dtype == .i8 else {
                out.set(name, tensor)
                continue
            }
            guard tensor.shape.count == 2, let codes = tensor.integers(),
                  let scales = file[name + ".scale"]?.floats(), scales.count == tensor.shape[0] else {
                throw QuillError.badCheckpoint(path: path, problem: "int8 tensor '\(name)' needs a 2-D shape and a float tensor '\(name).scale' with one scale per row")
            }
            let columns = tensor.shape[1]
            var values = [Float](repeating: 0, count: codes.count)
            for (i, q) in codes.enumerated() { values[i] = Float(q) * scales[i / max(1, columns)] }
            out.set(name, .init(shape: tensor.shape, floats: values))
        }
        return out
    }
}
