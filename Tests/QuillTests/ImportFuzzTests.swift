import Foundation
import Quill
import QuillKernels
import XCTest

/// Seeded mutation fuzzers over what `quill import` reads: state dicts (tensors dropped, renamed,
/// added, reshaped, retyped, layers moved past a gap) and vocabulary files (JSON and line forms).
/// Every case either gives a consistent result or throws Quill's typed error; seed and case are in
/// every failure message, and both outcomes must occur.
final class ImportFuzzTests: XCTestCase {
    static let seed: UInt64 = 20_261_206
    static let cases = 1_500

    static let cells: [ModelConfig.Cell] = [.lstm, .gru, .rnnTanh]

    func testMutatedStateDictsImportWholeOrAreRefused() throws {
        let vocabulary = try Vocabulary(tokens: StateDictTesting.characters, specialCount: 2)
        var originals: [(SafeTensors, ModelConfig.Cell)] = []
        for cell in Self.cells { for layers in 1...3 { for tied in [false, true] {
            originals.append((try StateDictTesting.stateDict(layers: layers, cell: cell, tied: tied), cell))
        } } }
        var rng = SeededGenerator(seed: Self.seed)
        var outcomes = FuzzOutcomes()
        for index in 0..<Self.cases {
            let (original, cell) = originals[rng.nextInt(below: originals.count)]
            let (dict, kind) = mutate(original, &rng)
            let label = "seed \(Self.seed) case \(index) (\(kind))"
            outcomes.record(label) {
                let checkpoint = try Checkpoint(importing: dict, path: "fuzz", vocabulary: vocabulary, level: .char,
                                                cell: cell == .rnnTanh ? cell : nil)
                let config = checkpoint.config
                // Whole: every tensor of the dict has its place in the model, and every place is filled.
                var used = Set(config.parameterShapes.map(\.name))
                if config.tieWeights { used.insert("decoder.weight") }
                XCTAssertEqual(Set(dict.order).subtracting(used), [], label)
                // A tied model may hold the shared matrix under either name (save_model keeps one).
                let shared: Set<String> = ["encoder.weight", "decoder.weight"]
                XCTAssertTrue(used.subtracting(shared).isSubset(of: Set(dict.order)), label)
                XCTAssertFalse(shared.isDisjoint(with: dict.order), label)
                XCTAssertTrue(config.tieWeights || dict["decoder.weight"] != nil, label)
                let layerNames = dict.order.filter { $0.hasPrefix("rnn.weight_hh_l") }
                XCTAssertEqual(config.layers, layerNames.count, label)
                XCTAssertEqual(try checkpoint.makeModel().parameterCount, config.parameterCount, label)
            }
        }
        XCTAssertGreaterThan(outcomes.accepted, Self.cases / 20, "seed \(Self.seed): too few mutated state dicts imported")
        XCTAssertGreaterThan(outcomes.refused, Self.cases / 3, "seed \(Self.seed): too few mutated state dicts refused")
    }

    /// One mutation of a valid state dict (or none), and a word for what it was.
    func mutate(_ original: SafeTensors, _ rng: inout SeededGenerator) -> (SafeTensors, String) {
        func pick<T>(_ values: [T]) -> T { values[rng.nextInt(below: values.count)] }
        var dict = original
        let name = pick(dict.order)
        let tensor = dict[name]!
        func rebuilt(_ change: (inout [(String, SafeTensors.Tensor)]) -> Void) -> SafeTensors {
            var list = dict.order.map { ($0, dict[$0]!) }
            change(&list)
            return SafeTensors(tensors: list)
        }
        switch rng.nextInt(below: 9) {
        case 0:
            return (dict, "unchanged")
        case 1:
            return (rebuilt { $0.removeAll { $0.0 == name } }, "dropped \(name)")
        case 2:
            let renamed = pick([name + "_old", name.replacingOccurrences(of: "_l0", with: "_l1"), name.replacingOccurrences(of: "_l1", with: "_l4"),
                                "module." + name, name.uppercased(), name.replacingOccurrences(of: "rnn.", with: "lstm.")])
            return (rebuilt { list in list = list.map { ($0.0 == name ? renamed : $0.0, $0.1) } }, "renamed \(name) to \(renamed)")
        case 3:
            let extra = pick(["rnn.weight_ih_l9", "num_batches_tracked", "decoder.weight", "encoder.bias", "rnn.weight_hh_l3", "x"])
            dict.set(extra, tensor)
            return (dict, "added \(extra) as \(name)")
        case 4:
            let count = tensor.elementCount
            let shape = pick([[count], [1, count], tensor.shape.reversed(), tensor.shape.map { $0 + 1 }, [0] + tensor.shape.dropFirst(), [count, 1, 1]])
            let floats = tensor.floats()!
            let values = (0..<shape.reduce(1, *)).map { floats.isEmpty ? 0 : floats[$0 % floats.count] }
            dict.set(name, .init(shape: shape, floats: values))
            return (dict, "reshaped \(name) to \(shape)")
        case 5:
            // Every tensor of one layer moved up past a gap, the others kept.
            let from = pick(["_l0", "_l1", "_l2"]), to = pick(["_l2", "_l3", "_l5", "_l7"])
            return (rebuilt { list in list = list.map { ($0.0.hasSuffix(from) ? String($0.0.dropLast(from.count)) + to : $0.0, $0.1) } },
                    "layer \(from) moved to \(to)")
        case 6:
            let dtype = pick([SafeTensors.DType.f64, .f16, .bf16, .i64, .i8, .u8])
            let bytes = [UInt8](repeating: 0x3C, count: tensor.elementCount * dtype.size)
            dict.set(name, .init(dtype: dtype, shape: tensor.shape, bytes: bytes))
            return (dict, "\(name) as \(dtype.rawValue)")
        case 7:
            var floats = tensor.floats()!
            floats[rng.nextInt(below: floats.count)] = pick([Float.nan, .infinity, -.infinity, 1e30, 0])
            dict.set(name, .init(shape: tensor.shape, floats: floats))
            return (dict, "a value of \(name)")
        default:
            // The tied pair made to disagree, or the decoder alone kept (save_model's form).
            if let decoder = dict["decoder.weight"], rng.nextInt(below: 2) == 0 {
                var floats = decoder.floats()!
                floats[0] += 1
                dict.set("decoder.weight", .init(shape: decoder.shape, floats: floats))
                return (dict, "decoder.weight changed")
            }
            return (rebuilt { $0.removeAll { $0.0 == "encoder.weight" } }, "encoder.weight dropped")
        }
    }

    func testMutatedVocabularyFilesReadValidOrAreRefused() throws {
        let folder = SharedData.temporaryFolder(self)
        let base = ["<pad>", "<unk>", "a", "b", " ", "\n", "é", "日"]
        var rng = SeededGenerator(seed: Self.seed)
        var outcomes = FuzzOutcomes()
        for index in 0..<Self.cases {
            let level: TokenLevel = rng.nextInt(below: 2) == 0 ? .char : .word
            let json = rng.nextInt(below: 2) == 0
            var tokens = json ? base : base.filter { $0 != "\n" }
            let kind = mutate(&tokens, &rng)
            var text = json ? String(decoding: try JSONSerialization.data(withJSONObject: tokens), as: UTF8.self)
                            : tokens.map { $0 + pick(["\n", "\r\n"], &rng) }.joined()
            if rng.nextInt(below: 8) == 0 { text = String(text.dropLast(1 + rng.nextInt(below: 3))) }
            let label = "seed \(Self.seed) case \(index) (\(json ? "json" : "lines"), \(level.rawValue), \(kind))"
            let path = SharedData.write(text, "v\(index % 7)" + (json ? ".json" : ".txt"), in: folder)
            outcomes.record(label) {
                let vocabulary = try Vocabulary(file: path, level: level)
                XCTAssertFalse(vocabulary.tokens.contains(""), label)
                // Distinct as bytes, as the vocabulary compares them ("é" and "e\u{301}" are two tokens).
                XCTAssertEqual(Set(vocabulary.tokens.map { Array($0.utf8) }).count, vocabulary.count, label)
                let specials: Set<String> = ["<pad>", "<unk>", "<bos>", "<eos>"]
                XCTAssertTrue(vocabulary.tokens.prefix(vocabulary.specialCount).allSatisfy(specials.contains), label)
                if level == .char {
                    XCTAssertTrue(vocabulary.tokens.allSatisfy { specials.contains($0) || $0.unicodeScalars.count == 1 }, label)
                }
            }
        }
        XCTAssertGreaterThan(outcomes.accepted, Self.cases / 10, "seed \(Self.seed): too few mutated vocabularies read")
        XCTAssertGreaterThan(outcomes.refused, Self.cases / 10, "seed \(Self.seed): too few mutated vocabularies refused")
    }

    func pick(_ values: [String], _ rng: inout SeededGenerator) -> String { values[rng.nextInt(below: values.count)] }

    /// One change to a token list (or none), and a word for it.
    func mutate(_ tokens: inout [String], _ rng: inout SeededGenerator) -> String {
        let at = rng.nextInt(below: tokens.count)
        switch rng.nextInt(below: 6) {
        case 0:
            return "unchanged"
        case 1:
            let token = pick(["ab", "", "x0", "<unk>", "a", "e\u{301}", "\u{0}", "\u{FEFF}", "<bos>", "\t", "🇫🇷", "  "], &rng)
            tokens.insert(token, at: at)
            return "inserted \(token.debugDescription) at \(at)"
        case 2:
            let removed = tokens.remove(at: at)
            return "removed \(removed.debugDescription)"
        case 3:
            tokens.swapAt(at, rng.nextInt(below: tokens.count))
            return "swapped"
        case 4:
            tokens[at] += pick(["b", "", "\u{301}", "x"], &rng)
            return "lengthened token \(at)"
        default:
            tokens = (0..<(1 + rng.nextInt(below: 90))).map { pick(["x\($0)", String(UnicodeScalar(0x41 + $0 % 50)!)], &rng) }
            return "replaced by \(tokens.count) tokens"
        }
    }
}
