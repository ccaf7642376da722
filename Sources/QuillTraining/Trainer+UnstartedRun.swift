import Foundation
import QuillCheckpoint
import QuillCore
import QuillModel

extension Trainer {
    /// Writes `checkpoint` to `folder` as a run that has not taken a step: `model.safetensors`,
    /// `latest.safetensors`, and a resume file whose options fine-tune it (`baseCheckpoint`) with
    /// `options`' optimisation settings, so resuming the folder with a text to train on starts
    /// training it (`quill import` writes such folders). `options.corpus` may be empty: the resumed
    /// run must then name its text.
    public static func writeUnstartedRun(_ checkpoint: Checkpoint, options given: TrainingOptions, folder: String) throws {
        var options = given
        options.outputFolder = folder
        options.baseCheckpoint = folder + "/" + Checkpoint.modelFile
        options.adoptModel(checkpoint.config, level: checkpoint.summary.level, mode: checkpoint.summary.mode)
        try options.validate()
        var checkpoint = checkpoint
        checkpoint.config = options.modelConfig(vocabularySize: checkpoint.vocabulary.count)
        // Zero moments in the parameters' layout; the weights themselves are the checkpoint's.
        let optimizer = Optimizer(settings: options.optimizer, layoutOf: ParameterStore(shapes: checkpoint.config.parameterShapes))
        let s = dropoutGenerator(seed: options.seed).state
        let progress = TrainingProgress(options: options, schedule: LearningRateSchedule(options: options), rngState: [s.0, s.1, s.2, s.3])
        try RunFolder.create(folder, named: "the folder")
        try checkpoint.write(to: folder + "/" + Checkpoint.modelFile)
        try checkpoint.write(to: folder + "/" + Checkpoint.latestFile)
        try ResumeFile.write(checkpoint: checkpoint, optimizer: optimizer,
                             state: RecurrentState(config: checkpoint.config, batchSize: options.batchSize),
                             progress: progress, average: nil, folder: folder)
    }
}
