import Foundation
import Quill
import QuillKernels
@testable import QuillCLI
import XCTest

/// A seeded fuzzer over every numeric flag of every command: the command line parser, run in
/// process, on hostile values (negative, zero, huge, NaN, infinities, 1e308, -0, hexadecimal,
/// empty, times with and without units). Each value is either refused with a one-line usage
/// error naming the flag, or accepted within the flag's declared limits; never a trap. The seed
/// and case number are in every failure message.
final class NumericFlagFuzzTests: XCTestCase {
    static let seed: UInt64 = 20_261_208
    static let cases = 4_000

    static let hostile = ["-1", "0", "-0", "1", "2", "64", "2147483648", "9223372036854775807", "9223372036854775808",
                          "-9223372036854775808", "1e308", "1e309", "-1e308", "1e-400", "nan", "NaN", "inf", "-inf", "infinity",
                          "0x10", "0x1p3", "", " ", "1 ", "1_000", "١", "1.5", ".5", "5.", "+5", "--5", "4m11s", "1e30", "1e30s",
                          "8760h", "8760h0m1s", "31536000", "31536001", "0.000001", "99999999999999999999s", "153722867280912930m"]

    /// A command's spec and its parser, whatever the type of its options; `parse` also runs what
    /// turns the values into the library's settings where that reads no file.
    struct Surface {
        let spec: CommandSpec
        let parse: ([String]) throws -> [String: String]
    }

    static func surface<C: Command>(_ command: C.Type, then settle: @escaping (ParsedArguments<C.Option>) throws -> Void = { _ in }) -> Surface {
        Surface(spec: C.spec) { arguments in
            let parsed = try ArgumentParser<C.Option>(spec: C.spec).parse(arguments)
            try settle(parsed)
            return parsed.values
        }
    }

    static var surfaces: [Surface] { [surface(TrainCommand.self) { _ = try TrainCommand.options($0) }, surface(GenerateCommand.self), surface(PerplexityCommand.self),
                           surface(VocabCommand.self), surface(InfoCommand.self), surface(ExportVocabCommand.self),
                           surface(ImportCommand.self), surface(QuantizeCommand.self), surface(SearchCommand.self),
                           surface(ServeCommand.self)] }

    func testEveryNumericFlagRefusesOrAcceptsWithinItsLimits() {
        let flags = Self.surfaces.flatMap { surface in surface.spec.options.filter(isNumeric).map { (surface, $0) } }
        XCTAssertGreaterThan(flags.count, 40, "every command's numeric flags")
        var rng = SeededGenerator(seed: Self.seed)
        var outcomes = [0, 0] // accepted, refused
        for index in 0..<Self.cases {
            let (surface, option) = flags[rng.nextInt(below: flags.count)]
            let value = rng.nextInt(below: 4) == 0 ? randomNumber(&rng) : Self.hostile[rng.nextInt(below: Self.hostile.count)]
            let flag = rng.nextInt(below: 2) == 0 ? ["--\(option.name)", value] : ["--\(option.name)=\(value)"]
            let arguments = (surface.spec.name == "train" ? ["corpus.txt"] : []) + flag
            let label = "seed \(Self.seed) case \(index): quill \(surface.spec.name) \(arguments)"
            do {
                let values = try surface.parse(arguments)
                outcomes[0] += 1
                XCTAssertEqual(values[option.name], value, label)
                XCTAssertTrue(isWithinLimits(value, option), "\(label): accepted outside its limits")
            } catch CLIError.usage(let message) {
                outcomes[1] += 1
                XCTAssertTrue(message.contains("--\(option.name)") && !message.contains("\n"), "\(label): \(message)")
            } catch let error as QuillError {
                // The library's own checks (a learning rate of 0, a dropout of 1.5) name the flag too.
                outcomes[1] += 1
                let message = FlagNames.message(error)
                XCTAssertTrue(error.isUsage && message.contains("--\(option.name)") && !message.contains("\n"), "\(label): \(message)")
            } catch {
                XCTFail("\(label): \(type(of: error)): \(error)")
            }
        }
        XCTAssertGreaterThan(outcomes[0], Self.cases / 10, "seed \(Self.seed): too few values accepted")
        XCTAssertGreaterThan(outcomes[1], Self.cases / 4, "seed \(Self.seed): too few values refused")
    }

    func isNumeric(_ option: OptionSpec) -> Bool {
        switch option.kind {
        case .int, .float, .duration: return true
        default: return false
        }
    }

    /// Whether `value` is a value `option` declares: a whole number within its limits, a finite
    /// decimal, or a time within `TimeSpan`'s.
    func isWithinLimits(_ value: String, _ option: OptionSpec) -> Bool {
        switch option.kind {
        case .int:
            guard let n = Int(value) else { return false }
            return n >= (option.minimum ?? .min) && n <= (option.maximum ?? .max)
        case .float: return DecimalNumber.parse(value)?.isFinite == true
        case .duration: return TimeSpan.seconds(value).map { TimeSpan.problem($0) == nil } ?? false
        default: return false
        }
    }

    /// Digits, maybe with a sign, a point, an exponent or a unit.
    func randomNumber(_ rng: inout SeededGenerator) -> String {
        var text = rng.nextInt(below: 4) == 0 ? "-" : ""
        for _ in 0...rng.nextInt(below: 24) { text += String(rng.nextInt(below: 10)) }
        switch rng.nextInt(below: 6) {
        case 0: text += ".\(rng.nextInt(below: 1000))"
        case 1: text += "e\(rng.nextInt(below: 400) - 200)"
        case 2: text += ["s", "m", "h"][rng.nextInt(below: 3)]
        default: break
        }
        return text
    }
}
