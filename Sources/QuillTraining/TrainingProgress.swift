import Foundation
import QuillCheckpoint
import QuillCore

/// Where a run stands: everything besides weights and optimizer moments that a resumed run needs to
/// continue bit for bit (saved in `resume.safetensors`).
public struct TrainingProgress: Codable, Equatable, Sendable {
    /// The run's settings.
    public var options: TrainingOptions
    /// Optimizer steps taken.
    public var step = 0
    /// Epochs fully completed.
    public var epoch = 0
    /// Next batch within the current epoch.
    public var batchIndex = 0
    /// The learning-rate schedule's state.
    package var schedule: LearningRateSchedule
    /// Dropout generator state (xoshiro256** words).
    public var rngState: [UInt64]
    /// Training loss summed since the last record, and positions it covers.
    public var lossSinceRecord = 0.0
    /// Positions the summed loss covers.
    public var tokensSinceRecord = 0
    /// Training seconds over all sessions.
    public var seconds = 0.0
    /// Lowest validation loss of any validation (decides `model.safetensors`).
    public var bestValidationLoss: Double?
    /// Every validation so far.
    public var history: [TrainingRecord] = []
    /// A scheduled validation was stopped midway (Ctrl-C) and is owed: a resumed run does it
    /// first, so its history and schedule are those of a run that never stopped. Nil when none is
    /// owed (and in files saved before this field existed).
    public var pendingValidation: Bool?
    /// The training loss every `logEvery` steps (nil in files saved before it was kept).
    package var curve: TrainingCurve?

    /// The progress of a run at step 0.
    package init(options: TrainingOptions, schedule: LearningRateSchedule, rngState: [UInt64]) {
        self.options = options
        self.schedule = schedule
        self.rngState = rngState
    }
}

extension TrainingProgress {
    /// Reads saved progress; options added to Quill after the run was saved take their defaults.
    static func decode(_ text: String) -> TrainingProgress? {
        // Saved options lack the keys of settings added since, which take their defaults, and
        // the keys of optional settings that were nil (Codable leaves nil out), which must stay
        // nil: `fillingMissingKeys` has every default except that those optionals are nil.
        guard var object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
              let saved = object["options"] as? [String: Any],
              let defaultsData = try? JSONEncoder().encode(TrainingOptions.fillingMissingKeys),
              var options = (try? JSONSerialization.jsonObject(with: defaultsData)) as? [String: Any] else { return nil }
        options.merge(saved) { _, stored in stored }
        object["options"] = options
        guard let merged = try? JSONSerialization.data(withJSONObject: object) else { return nil }
        return JSONCoding.decode(TrainingProgress.self, String(decoding: merged, as: UTF8.self))
    }
}
