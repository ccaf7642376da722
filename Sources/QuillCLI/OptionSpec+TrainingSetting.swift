import Quill

extension OptionSpec {
    /// The flag of a training setting: its name, kind, limits and help from the library's table,
    /// its default from `TrainingOptions`, so the two cannot disagree.
    init(_ setting: TrainingSetting) {
        let kind: Kind = switch setting.kind {
        case .count: .int
        case .number: .float
        case .text: .string
        case .choice(let words): .choice(words)
        case .duration: .duration
        case .toggle: .flag
        }
        self.init(setting.flag, kind, default: setting.defaultText, setting.help, defaultNote: setting.defaultNote,
                  minimum: setting.minimum, maximum: setting.maximum)
    }
}
