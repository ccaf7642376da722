import Foundation
import QuillCheckpoint
import QuillCore
import QuillKernels
import QuillModel

/// A run folder's `resume.safetensors`: a whole checkpoint (the latest weights, config,
/// vocabulary and summary) plus what continuing bit for bit needs — the optimizer moments, the
/// carried hidden state, the averaged weights and `TrainingProgress` — so one atomic rename saves
/// all of it. docs/resume-format.md lists its keys and tensors.
///
/// The layout has a version of its own, `quill.resume-format`, beside the checkpoint's
/// `quill.format` (which versions the model part). A newer version is refused, naming both; an
/// older one is read by `upgradingFormat1`, the one place that knows an old layout.
struct ResumeFile {
    /// The layout's version: written now, read back, and what a file without one is.
    static let format = FormatVersion.resume
    /// The metadata key of `TrainingProgress` as JSON.
    static let progressKey = "quill.progress"

    /// Tensor names beside the checkpoint's weights.
    enum Tensor {
        /// Adam's mean or SGD's momentum buffer, flat in parameter order (absent when unused).
        static let firstMoment = "optimizer.first"
        /// Adam's or RMSprop's squared-gradient average, flat in parameter order (absent when unused).
        static let secondMoment = "optimizer.second"
        /// The carried hidden state, (L, B, H).
        static let hidden = "state.hidden"
        /// The carried cell state, (L, B, H); LSTM only.
        static let cell = "state.cell"
        /// The carried attention memory, (M, B, H); with attention only.
        static let memory = "state.memory"
        /// Valid states per row of the memory, (B) whole numbers stored as floats.
        static let memoryLengths = "state.memory_lengths"
        /// The averaged weights, flat in parameter order (`averageDecay` only).
        static let average = "average"
    }

    /// The file read, for the tensors beside the weights.
    private let file: SafeTensors
    /// Where the file is, for errors.
    let path: String
    /// The run's model as saved.
    let checkpoint: Checkpoint
    /// The file the weights came from (the resume file itself, except for early format-1 files).
    let weightsPath: String
    /// Where the run stands.
    let progress: TrainingProgress

    // MARK: Reading

    /// Reads the resume file of run folder `folder`, upgrading an older format.
    init(folder: String) throws {
        path = folder + "/" + Checkpoint.resumeFile
        guard FileManager.default.fileExists(atPath: path) else {
            throw QuillError.badCheckpoint(path: folder, problem: "no resumable run here (needs \(Checkpoint.resumeFile))")
        }
        file = try SafeTensors(contentsOf: path)
        let version = try Self.format.version(of: file.metadata, path: path)
        guard let text = file.metadata[Self.progressKey], let progress = TrainingProgress.decode(text) else {
            throw QuillError.badCheckpoint(path: path, problem: "no valid \(Self.progressKey) metadata")
        }
        self.progress = progress
        if version == 1 {
            (checkpoint, weightsPath) = try Self.upgradingFormat1(file, path: path, folder: folder, step: progress.step)
        } else {
            (checkpoint, weightsPath) = (try Checkpoint(safeTensors: file, path: path), path)
        }
    }

    /// The one reader of format 1 (no `quill.resume-format` key): the same tensors and progress
    /// as format 2, but its first files held no weights and were paired with
    /// `latest.safetensors`, which must then be at the same step. Later format-1 files hold their
    /// weights, as format 2 does.
    private static func upgradingFormat1(_ file: SafeTensors, path: String, folder: String,
                                         step: Int) throws -> (Checkpoint, String) {
        if file.metadata[Checkpoint.Key.config] != nil { return (try Checkpoint(safeTensors: file, path: path), path) }
        let latestPath = folder + "/" + Checkpoint.latestFile
        let latest = try Checkpoint(contentsOf: latestPath)
        guard latest.summary.steps == step else {
            throw QuillError.badCheckpoint(path: folder, problem: "\(Checkpoint.latestFile) is at step \(latest.summary.steps) but \(Checkpoint.resumeFile) at step \(step); they do not belong together (a save was interrupted?)")
        }
        return (latest, latestPath)
    }

    /// Fills `optimizer`'s moment buffers from the file.
    func restoreMoments(into optimizer: Optimizer) throws {
        for (name, store) in [(Tensor.firstMoment, optimizer.first), (Tensor.secondMoment, optimizer.second)] {
            guard let store else { continue }
            guard let values = file[name]?.floats(), values.count == store.count else { throw missing(name) }
            values.withUnsafeBufferPointer { store.values.update(from: $0.baseAddress!, count: store.count) }
        }
    }

    /// The hidden (and cell) state carried between windows when the run stopped.
    func carriedState(config: ModelConfig) throws -> RecurrentState {
        let l = config.layers, h = config.hiddenSize, hasCell = config.cell.hasCellState
        guard let shape = file[Tensor.hidden]?.shape, shape.count == 3, shape[0] == l, shape[2] == h,
              let hidden = file[Tensor.hidden]?.floats(), hidden.count == l * shape[1] * h,
              let cell = hasCell ? file[Tensor.cell]?.floats() : [],
              cell.count == (hasCell ? hidden.count : 0) else {
            throw QuillError.badCheckpoint(path: path, problem: "missing or mis-sized carried state (\(Tensor.hidden), \(Tensor.cell))")
        }
        guard let m = config.attention?.memory else {
            return RecurrentState(layers: l, batchSize: shape[1], hiddenSize: h, hidden: hidden, cell: cell)
        }
        let b = shape[1]
        guard let memory = file[Tensor.memory]?.floats(), memory.count == m * b * h,
              let lengths = file[Tensor.memoryLengths]?.floats(), lengths.count == b,
              lengths.allSatisfy({ $0 >= 0 && $0 <= Float(m) && $0 == $0.rounded() }) else {
            throw QuillError.badCheckpoint(path: path, problem: "missing or mis-sized attention memory (\(Tensor.memory), \(Tensor.memoryLengths))")
        }
        return RecurrentState(layers: l, batchSize: b, hiddenSize: h, hidden: hidden, cell: cell,
                              memoryCapacity: m, memory: memory, memoryLengths: lengths.map { Int($0) })
    }

    /// The dropout generator, where it stood.
    func generator() throws -> SeededGenerator {
        let s = progress.rngState
        guard s.count == 4, s != [0, 0, 0, 0] else {
            throw QuillError.badCheckpoint(path: path, problem: "invalid generator state")
        }
        return SeededGenerator(state: (s[0], s[1], s[2], s[3]))
    }

    /// The averaged weights, `count` of them. A run saved before its first step (an import) has
    /// no average yet: it starts at `weights`.
    func average(count: Int, startingAt weights: @autoclosure () -> [Float]) throws -> [Float] {
        let stored = file[Tensor.average]?.floats() ?? (progress.step == 0 ? weights() : nil)
        guard let values = stored, values.count == count else { throw missing(Tensor.average) }
        return values
    }

    private func missing(_ name: String) -> QuillError {
        .badCheckpoint(path: path, problem: "missing or mis-sized tensor '\(name)'")
    }

    // MARK: Writing

    /// The file form of a run at `progress`: `checkpoint` (whose weights it carries), the
    /// optimizer's moments, the carried `state` and, when there is one, the weight average.
    static func safeTensors(checkpoint: Checkpoint, optimizer: Optimizer, state: RecurrentState,
                            progress: TrainingProgress, average: [Float]?) -> SafeTensors {
        var file = checkpoint.safeTensors()
        if let first = optimizer.first { file.set(Tensor.firstMoment, .init(shape: [first.count], floats: first.allValues)) }
        if let second = optimizer.second { file.set(Tensor.secondMoment, .init(shape: [second.count], floats: second.allValues)) }
        let shape = [state.layers, state.batchSize, state.hiddenSize]
        file.set(Tensor.hidden, .init(shape: shape, floats: state.hidden))
        if !state.cell.isEmpty { file.set(Tensor.cell, .init(shape: shape, floats: state.cell)) }
        if state.memoryCapacity > 0 {
            file.set(Tensor.memory, .init(shape: [state.memoryCapacity, state.batchSize, state.hiddenSize], floats: state.memory))
            file.set(Tensor.memoryLengths, .init(shape: [state.batchSize], floats: state.memoryLengths.map(Float.init)))
        }
        if let average { file.set(Tensor.average, .init(shape: [average.count], floats: average)) }
        file.metadata[format.key] = format.stamp
        file.metadata[progressKey] = JSONCoding.string(progress)
        return file
    }

    /// Writes the resume file into run folder `folder`, atomically.
    static func write(checkpoint: Checkpoint, optimizer: Optimizer, state: RecurrentState,
                      progress: TrainingProgress, average: [Float]?, folder: String) throws {
        try safeTensors(checkpoint: checkpoint, optimizer: optimizer, state: state, progress: progress, average: average)
            .write(to: folder + "/" + Checkpoint.resumeFile)
    }
}
