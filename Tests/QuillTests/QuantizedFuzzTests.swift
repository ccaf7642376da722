import Foundation
import Quill
import QuillKernels
import XCTest

/// A seeded mutation fuzzer over int8 and bf16 checkpoints: `quill.weights` metadata changed or
/// removed, dtypes changed, scale tensors removed, reshaped, retyped or given hostile values.
/// Every case either loads to a model whose format is what its tensors hold and whose weights are
/// finite, or throws Quill's typed error; seed and case are in every failure message, and both
/// outcomes must occur.
final class QuantizedFuzzTests: XCTestCase {
    static let seed: UInt64 = 20_261_208
    static let cases = 1_200

    func testMutatedQuantizedFilesLoadConsistentlyOrAreRefused() throws {
        var originals: [SafeTensors] = []
        for cell in [ModelConfig.Cell.lstm, .gru] {
            let checkpoint = try StateDictTesting.checkpoint(cell: cell)
            originals += [checkpoint.safeTensors(storing: .int8), checkpoint.safeTensors(storing: .bf16)]
        }
        var rng = SeededGenerator(seed: Self.seed)
        var outcomes = FuzzOutcomes()
        for index in 0..<Self.cases {
            let (file, kind) = mutate(originals[rng.nextInt(below: originals.count)], &rng)
            let label = "seed \(Self.seed) case \(index) (\(kind))"
            outcomes.record(label) {
                let checkpoint = try Checkpoint(safeTensors: try SafeTensors(bytes: file.serialized(), path: "fuzz"), path: "fuzz")
                let matrices = file.order.filter { file[$0]!.shape.count == 2 }.map { file[$0]!.dtype }
                let expected: WeightFormat = matrices.contains(.i8) ? .int8 : matrices.contains(.bf16) ? .bf16 : .f32
                XCTAssertEqual(checkpoint.storedFormat, expected, label)
                let loaded = LoadedModel(model: try checkpoint.makeModel(path: "fuzz"), vocabulary: checkpoint.vocabulary,
                                         level: .char, weightFormat: checkpoint.storedFormat)
                XCTAssertEqual(loaded.model.config, checkpoint.config, label)
                XCTAssertTrue(loaded.model.weightTensors().allSatisfy { $0.1.allFinite == true }, label)
            }
        }
        XCTAssertGreaterThan(outcomes.accepted, Self.cases / 10, "seed \(Self.seed): too few mutated quantized files loaded")
        XCTAssertGreaterThan(outcomes.refused, Self.cases / 10, "seed \(Self.seed): too few mutated quantized files refused")
    }

    /// One change to a quantized file (or none), and a word for it.
    func mutate(_ original: SafeTensors, _ rng: inout SeededGenerator) -> (SafeTensors, String) {
        func pick<T>(_ values: [T]) -> T { values[rng.nextInt(below: values.count)] }
        var file = original
        let name = pick(file.order)
        let tensor = file[name]!
        switch rng.nextInt(below: 7) {
        case 0:
            return (file, "unchanged")
        case 1:
            let value = pick(["bf16", "int8", "f32", "fp8", "", "INT8", nil])
            file.metadata["quill.weights"] = value
            return (file, "quill.weights = \(value ?? "absent")")
        case 2:
            let dtype = pick([SafeTensors.DType.i8, .u8, .bf16, .f16, .i16, .f32])
            let bytes = (0..<(tensor.elementCount * dtype.size)).map { UInt8(truncatingIfNeeded: $0 &* 37) }
            file.set(name, .init(dtype: dtype, shape: tensor.shape, bytes: bytes))
            return (file, "\(name) as \(dtype.rawValue)")
        case 3:
            guard let scale = file.order.first(where: { $0.hasSuffix(".scale") }) else { return (file, "no scale to damage") }
            let values = pick([Float.nan, .infinity, -1, 0, 1e38, .leastNonzeroMagnitude, 3])
            let count = file[scale]!.elementCount
            file.set(scale, .init(shape: [count], floats: [Float](repeating: values, count: count)))
            return (file, "\(scale) = \(values)")
        case 4:
            guard let scale = file.order.first(where: { $0.hasSuffix(".scale") }) else { return (file, "no scale to reshape") }
            let count = file[scale]!.elementCount
            let shape = pick([[count + 1], [count - 1], [1, count], [0]])
            file.set(scale, .init(shape: shape, floats: [Float](repeating: 0.01, count: shape.reduce(1, *))))
            return (file, "\(scale) shaped \(shape)")
        case 5:
            let removed = pick(file.order)
            return (SafeTensors(tensors: file.order.filter { $0 != removed }.map { ($0, file[$0]!) }, metadata: file.metadata),
                    "\(removed) removed")
        default:
            // Codes at the edge of int8 (−128 is outside what Quill writes).
            guard tensor.dtype == .i8 else { return (file, "\(name) not int8") }
            let code = pick([Int8.min, Int8.max, 0, -127])
            file.set(name, .init(dtype: .i8, shape: tensor.shape, bytes: [UInt8](repeating: UInt8(bitPattern: code), count: tensor.elementCount)))
            return (file, "\(name) codes \(code)")
        }
    }
}
