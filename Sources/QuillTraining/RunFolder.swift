import Foundation
import QuillCheckpoint
import QuillCore

/// A run folder held by the trainer writing to it: its lock, and the files training leaves in
/// it besides the resume file — the best and latest checkpoints, copies kept by step,
/// `samples.txt`, `metrics.csv` and `loss.svg`. Every file but the samples log is written
/// atomically, so a kill at any moment leaves the previous ones loadable.
final class RunFolder {
    /// The run folder's log of samples (`TrainingOptions.sampleEvery`).
    static let samplesFile = "samples.txt"

    /// The folder's path.
    let path: String
    /// Held for as long as this value lives; no other trainer writes here meanwhile.
    private let lock: RunLock

    /// Creates `path` if needed and takes its lock (throwing when another run holds it). The
    /// folder is then ours, so any temporary file in it is a dead writer's, and is removed.
    init(claiming path: String) throws {
        try Self.create(path, named: "the run folder")
        lock = try RunLock(folder: path)
        self.path = path
        AtomicFile.removeLeftovers(in: path)
    }

    /// Creates `path` and its parents, `named` in the error.
    static func create(_ path: String, named: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw QuillError.io(path: path, problem: "cannot create \(named) (is a file in the way, or is its parent read-only?)")
        }
    }

    /// Whether the folder holds a best model (which a diverging run leaves as it was).
    var holdsBestModel: Bool { FileManager.default.fileExists(atPath: path + "/" + Checkpoint.modelFile) }

    /// Writes `checkpoint` as the folder's file `name`.
    func write(_ checkpoint: Checkpoint, as name: String) throws {
        try checkpoint.write(to: path + "/" + name)
    }

    /// Writes `checkpoint` as `step-NNNNNNN.safetensors` and deletes all but the `newest` such copies.
    func keep(_ checkpoint: Checkpoint, step: Int, newest: Int) throws {
        try write(checkpoint, as: String(format: "step-%07d.safetensors", step))
        Self.removeKeptCheckpoints(in: path, beyond: newest)
    }

    /// Deletes all but the `keep` newest `step-NNNNNNN.safetensors` copies in `folder`.
    static func removeKeptCheckpoints(in folder: String, beyond keep: Int) {
        let kept = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0.hasPrefix("step-") && $0.hasSuffix(".safetensors") }.sorted()
        for name in kept.dropLast(keep) { try? FileManager.default.removeItem(atPath: folder + "/" + name) }
    }

    /// Appends `sample` to `samples.txt`. The log only grows, so it is appended to in place
    /// rather than rewritten whole; a new log is written atomically.
    func appendSample(_ sample: TrainingSample) throws {
        let entry = "=== step \(sample.step) ===\n\(sample.prompt)\(sample.text)\n"
        let file = path + "/" + Self.samplesFile
        if let handle = FileHandle(forWritingAtPath: file) {
            defer { try? handle.close() }
            handle.seekToEndOfFile()
            handle.write(Data(entry.utf8))
        } else {
            try AtomicFile.write(entry, to: file)
        }
    }

    /// Rewrites `metrics.csv` and `loss.svg`.
    func writeMetrics(_ progress: TrainingProgress) throws {
        try MetricsLog.write(progress.history, curve: progress.curve?.points ?? [], folder: path)
    }
}
