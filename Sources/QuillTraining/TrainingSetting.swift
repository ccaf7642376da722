import QuillCore

/// One setting of `TrainingOptions`, declared once with everything a front end needs to offer it:
/// its name in the library (`Setting`, which errors use), its command-line name, the kind of value
/// it takes, a line of help, its limits, whether a resumed run may change it, whether a time
/// budget chooses it when the caller does not, and its key in search spaces. Its default is read
/// from `TrainingOptions`, so no front end can hold a default of its own. The table is
/// `TrainingSetting.all` (see TrainingSetting+Table.swift).
public struct TrainingSetting: Sendable, Hashable, CustomStringConvertible {
    /// The kind of value a setting takes, as text.
    public enum Kind: Sendable, Equatable {
        /// A whole number.
        case count
        /// A decimal number.
        case number
        /// Free text (a path, a prompt).
        case text
        /// One of the listed words.
        case choice([String])
        /// Seconds, read by `TimeSpan.seconds` (so `10m` and `4m11s` too) and bounded by `TimeSpan.maximumSeconds`.
        case duration
        /// On or off; a command-line switch takes no value and turns it on.
        case toggle
    }

    /// The library's name of the setting, as errors spell it.
    public let name: Setting
    /// The command-line name, kebab-case, without `--`.
    public let flag: String
    /// What the setting takes.
    public let kind: Kind
    /// One line of help.
    public let help: String
    /// The smallest and largest whole numbers a front end accepts, so no size overflows what is
    /// computed from it (nil: no bound of its own; `TrainingOptions.validate()` applies either way).
    public let minimum: Int?, maximum: Int?
    /// Said instead of a value when there is no fixed default (it depends on other settings).
    public let defaultNote: String?
    /// Whether a resumed run may change it (`TrainingOptions.resumableSettings`).
    public let resumable: Bool
    /// Whether a time-only run's `BudgetRecipe` sets it when the caller leaves it unset.
    public let chosenByBudget: Bool
    /// Whether a run that starts from a trained model (`baseCheckpoint`) takes it from that model,
    /// so that the caller cannot choose it.
    public let takenFromBase: Bool
    /// Its key in a search space file and a search's reports (nil: not searched).
    public let searchKey: String?

    let expected: String?
    let read: @Sendable (TrainingOptions) -> String?
    let write: @Sendable (inout TrainingOptions, String) -> Bool
    let copy: @Sendable (TrainingOptions, inout TrainingOptions) -> Void

    /// The value in `options` as text (what `set` reads back), nil when unset.
    public func text(in options: TrainingOptions) -> String? { read(options) }

    /// The default as text: the value a fresh `TrainingOptions` holds (nil: unset by default).
    public var defaultText: String? { read(TrainingOptions(corpus: "", outputFolder: nil)) }

    /// Sets the value `text` in `options`. Throws `QuillError.invalidSetting` when the text is not
    /// a value of this kind; ranges are checked by `TrainingOptions.validate()`.
    public func set(_ text: String, in options: inout TrainingOptions) throws {
        guard write(&options, text) else {
            throw QuillError.invalidSetting(InvalidSetting(name, text, "\(name.rawValue) cannot be '\(text)'" + (expected.map { ": it needs \($0)" } ?? "")))
        }
    }

    /// Gives `target` the value `source` holds.
    public func copyValue(from source: TrainingOptions, to target: inout TrainingOptions) { copy(source, &target) }

    /// The setting named `name`, if the table has it.
    public static func named(_ name: Setting) -> TrainingSetting? { all.first { $0.name == name } }

    /// The setting whose command-line name is `flag`, if any.
    public static func flagged(_ flag: String) -> TrainingSetting? { all.first { $0.flag == flag } }

    /// Rows are the same setting when they name the same `Setting`.
    public static func == (a: TrainingSetting, b: TrainingSetting) -> Bool { a.name == b.name }
    /// Hashes the setting's name, as `==` compares it.
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
    /// The setting's name as the API spells it.
    public var description: String { name.rawValue }
}

extension TrainingSetting {
    /// Where a row's value lives in `TrainingOptions`.
    typealias Path<Value> = WritableKeyPath<TrainingOptions, Value> & Sendable

    /// The facts of a row other than its kind and storage, with the defaults most rows share.
    struct Facts {
        var help: String
        var minimum: Int? = nil, maximum: Int? = nil
        var defaultNote: String? = nil
        var resumable = false, chosenByBudget = false, takenFromBase = false
        var searchKey: String? = nil
        /// What a value looks like, for the error when text is not one (kinds the message cannot name).
        var expected: String? = nil
    }

    /// A row whose value is read, written and copied by the given closures.
    init(_ name: Setting, _ flag: String, _ kind: Kind, _ facts: Facts, read: @escaping @Sendable (TrainingOptions) -> String?,
         write: @escaping @Sendable (inout TrainingOptions, String) -> Bool,
         copy: @escaping @Sendable (TrainingOptions, inout TrainingOptions) -> Void) {
        self.name = name
        self.flag = flag
        self.kind = kind
        help = facts.help
        minimum = facts.minimum
        maximum = facts.maximum
        defaultNote = facts.defaultNote
        resumable = facts.resumable
        chosenByBudget = facts.chosenByBudget
        takenFromBase = facts.takenFromBase
        searchKey = facts.searchKey
        expected = facts.expected
        self.read = read
        self.write = write
        self.copy = copy
    }

    /// A row stored at `path`, read and written through `parse` and `format`.
    init<Value>(_ name: Setting, _ flag: String, _ kind: Kind, _ path: Path<Value>, _ facts: Facts,
                parse: @escaping @Sendable (String) -> Value?, format: @escaping @Sendable (Value) -> String?) {
        self.init(name, flag, kind, facts, read: { format($0[keyPath: path]) },
                  write: { options, text in
                      guard let value = parse(text) else { return false }
                      options[keyPath: path] = value
                      return true
                  },
                  copy: { source, target in target[keyPath: path] = source[keyPath: path] })
    }

    static func count(_ name: Setting, _ flag: String, _ path: Path<Int>, _ facts: Facts) -> Self {
        Self(name, flag, .count, path, facts, parse: { Int($0) }, format: { "\($0)" })
    }

    static func count(_ name: Setting, _ flag: String, _ path: Path<Int?>, _ facts: Facts) -> Self {
        Self(name, flag, .count, path, facts, parse: { Int($0).map { $0 } }, format: { $0.map { "\($0)" } })
    }

    static func number(_ name: Setting, _ flag: String, _ path: Path<Double>, _ facts: Facts) -> Self {
        Self(name, flag, .number, path, facts, parse: { Double($0) }, format: { decimal($0) })
    }

    static func number(_ name: Setting, _ flag: String, _ path: Path<Double?>, _ facts: Facts) -> Self {
        Self(name, flag, .number, path, facts, parse: { Double($0).map { $0 } }, format: { $0.map(decimal) })
    }

    /// A number whose 0 means none (nil): `--ema 0`, `--val-share 0`.
    static func numberOrNone(_ name: Setting, _ flag: String, _ path: Path<Double?>, _ facts: Facts) -> Self {
        Self(name, flag, .number, path, facts, parse: { text in Double(text).map { $0 == 0 ? nil : $0 } }, format: { $0.map(decimal) })
    }

    static func number(_ name: Setting, _ flag: String, _ path: Path<Float>, _ facts: Facts) -> Self {
        // Float's own description, so 0.1 reads "0.1" and parses back to the same Float.
        Self(name, flag, .number, path, facts, parse: { Float($0) }, format: { $0.rounded() == $0 && abs($0) < 1e7 ? "\(Int($0))" : "\($0)" })
    }

    static func toggle(_ name: Setting, _ flag: String, _ path: Path<Bool>, _ facts: Facts) -> Self {
        Self(name, flag, .toggle, path, facts, parse: { ["true": true, "false": false][$0] }, format: { "\($0)" })
    }

    static func text(_ name: Setting, _ flag: String, _ path: Path<String>, _ facts: Facts) -> Self {
        Self(name, flag, .text, path, facts, parse: { $0 }, format: { $0 })
    }

    static func text(_ name: Setting, _ flag: String, _ path: Path<String?>, _ facts: Facts) -> Self {
        Self(name, flag, .text, path, facts, parse: { $0 }, format: { $0 })
    }

    static func choice<T: RawRepresentable & CaseIterable & Sendable>(_ name: Setting, _ flag: String, _ path: Path<T>,
                                                         _ facts: Facts) -> Self where T.RawValue == String {
        Self(name, flag, .choice(T.allCases.map(\.rawValue)), path, facts, parse: { T(rawValue: $0) }, format: { $0.rawValue })
    }

    /// Whole numbers without a decimal point (`5`, not `5.0`), the rest as Swift prints them.
    static func decimal(_ x: Double) -> String {
        x.rounded() == x && abs(x) < 1e15 ? "\(Int(x))" : "\(x)"
    }
}
