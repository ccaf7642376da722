import Foundation
import Quill
import QuillKernels

/// `quill-bench train`: training throughput on random token data (forward, backward, clipping,
/// SGD, state carried between windows), then batch-1 generation with temperature sampling.
enum TrainBenchmark {
    struct Configuration {
        var name = "custom"
        var vocabulary = 65, embed = 64, hidden = 256, layers = 2, batch = 32, steps = 64
        var cell = "lstm"
        /// M of the attention head, or nil for none.
        var attention: Int? = nil
        /// An adaptive softmax's cutoffs and divisor in place of the decoder, or nil for the full softmax.
        var adaptiveSoftmax: ModelConfig.AdaptiveSoftmax? = nil
    }

    struct Result {
        var trainTokensPerSecond = 0.0
        var trainGFLOPs = 0.0
        var generateTokensPerSecond = 0.0
        var peakResidentMB = 0.0
        /// CPU milliseconds a training step and CPU microseconds a generated token (all threads).
        var trainCPUMillisecondsPerStep = 0.0
        var generateCPUMicrosecondsPerToken = 0.0
    }

    static let flags: [String: String] = [
        "vocab": "65", "embed": "64", "hidden": "256", "layers": "2", "batch": "32", "seq-len": "64",
        "steps": "20", "generate": "2000", "cell": "lstm", "threads": "\(Parallel.threadCount)", "json": "false",
        "profile": "false", "weights": "f32", "attention": "false", "attention-memory": "\(ModelConfig.Attention.defaultMemory)",
        "adaptive-softmax": "", "adaptive-div": "\(ModelConfig.AdaptiveSoftmax.defaultDivValue)",
    ]

    static func run(arguments: [String]) throws {
        let o = try BenchOptions(arguments, flags: flags)
        Parallel.threadCount = try o.int("threads")
        let c = Configuration(vocabulary: try o.int("vocab"), embed: try o.int("embed"), hidden: try o.int("hidden"),
                              layers: try o.int("layers"), batch: try o.int("batch"), steps: try o.int("seq-len"),
                              cell: o.string("cell"), attention: o.bool("attention") ? try o.int("attention-memory") : nil,
                              adaptiveSoftmax: try adaptiveSoftmax(o))
        if o.bool("profile") {
            try profile(c, trainSteps: try o.int("steps"))
            return
        }
        guard let weights = WeightFormat(rawValue: o.string("weights")) else {
            throw BenchOptions.UsageError(description: "--weights must be f32, bf16 or int8")
        }
        let r = try measure(c, trainSteps: try o.int("steps"), generateTokens: try o.int("generate"), weights: weights)
        let pairs: [(String, String)] = [
            ("train_tokens_per_s", String(format: "%.0f", r.trainTokensPerSecond)),
            ("generate_tokens_per_s", String(format: "%.0f", r.generateTokensPerSecond)),
            ("peak_rss_mb", String(format: "%.1f", r.peakResidentMB)),
            ("train_gflops", String(format: "%.1f", r.trainGFLOPs)),
            ("train_cpu_ms_per_step", String(format: "%.2f", r.trainCPUMillisecondsPerStep)),
            ("generate_cpu_us_per_token", String(format: "%.1f", r.generateCPUMicrosecondsPerToken)),
            ("threads", "\(Parallel.threadCount)"),
        ]
        if o.bool("json") {
            print("{" + pairs.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}")
        } else {
            for (name, value) in pairs { print("\(name) \(value)") }
        }
    }

    /// `--adaptive-softmax C1,C2,…` (with `--adaptive-div`), or nil without it: the full softmax.
    static func adaptiveSoftmax(_ o: BenchOptions) throws -> ModelConfig.AdaptiveSoftmax? {
        let text = o.string("adaptive-softmax")
        guard !text.isEmpty else { return nil }
        let cutoffs = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
        guard cutoffs.allSatisfy({ $0 != nil }), let div = Double(o.string("adaptive-div")) else {
            throw BenchOptions.UsageError(description: "--adaptive-softmax takes increasing whole numbers separated by commas, e.g. 2000,10000, and --adaptive-div a number")
        }
        return ModelConfig.AdaptiveSoftmax(cutoffs: cutoffs.map { $0! }, divValue: div)
    }

    /// 2·m·n·k summed over every GEMM of one training step (forward and backward).
    static func flopsPerStep(_ c: Configuration) -> Double {
        let gateCount = ModelConfig.Cell(rawValue: c.cell)?.gateCount ?? 4
        let rows = Double(c.batch * c.steps), h = Double(c.hidden), gates = Double(gateCount) * h
        var forward = 2 * rows * Double(c.vocabulary) * h
        if let adaptive = c.adaptiveSoftmax {
            // The head for every row; cluster i's two products for the rows whose target it holds,
            // a share S_i / V of them with the benchmark's uniform random targets.
            forward = 2 * rows * Double(adaptive.headSize) * h
            for i in 0..<adaptive.clusterCount {
                let s = Double(adaptive.cluster(i, vocabularySize: c.vocabulary).count)
                let p = Double(adaptive.projectionSize(i, hiddenSize: c.hidden))
                forward += 2 * rows * (s / Double(c.vocabulary)) * (h * p + p * s)
            }
        }
        for layer in 0..<c.layers {
            let input = Double(layer == 0 ? c.embed : c.hidden)
            forward += 2 * rows * gates * (input + h)
        }
        if let m = c.attention {
            // The query projection, then scores and context over at most M + T states per position.
            forward += 2 * rows * h * h + 2 * 2 * rows * Double(m + c.steps) * h
        }
        // Backward: each forward product has two gradient products of the same size.
        return 3 * forward
    }

    /// A model, its optimizer and one training step on random tokens, as `measure` and `profile` run it.
    final class Workload {
        let model: Network
        let optimizer: Optimizer
        let batcher: StreamBatcher
        var state: RecurrentState
        var rng: SeededGenerator

        init(_ c: Configuration, steps: Int) throws {
            var rng = SeededGenerator(seed: 1)
            guard let cell = ModelConfig.Cell(rawValue: c.cell) else {
                throw BenchOptions.UsageError(description: "--cell must be one of \(ModelConfig.Cell.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let config = ModelConfig(vocabularySize: c.vocabulary, embeddingSize: c.embed, hiddenSize: c.hidden,
                                     layers: c.layers, cell: cell, attention: c.attention.map { ModelConfig.Attention(memory: $0) },
                                     adaptiveSoftmax: c.adaptiveSoftmax)
            model = try Network(config: config)
            model.initialize(rng: &rng)
            optimizer = Optimizer(settings: .init(kind: .sgd), layoutOf: model.parameters)
            let ids = TokenIDs((0..<(c.batch * (c.steps * (steps + 1) + 1))).map { _ in rng.nextInt(below: c.vocabulary) },
                               vocabularySize: c.vocabulary)
            batcher = try StreamBatcher(ids: ids, batchSize: c.batch, steps: c.steps)
            state = RecurrentState(config: config, batchSize: c.batch)
            self.rng = rng
        }

        /// Forward, loss, backward, clipping at 0.25 and an SGD update (which leaves the gradients
        /// zeroed, as the trainer's does), the state carried.
        func step(_ index: Int) {
            let batch = batcher.batch(index % batcher.count)
            model.forward(inputs: batch.inputs, steps: batch.steps, batch: batch.batchSize, state: &state, training: true, rng: &rng,
                          distribution: false)
            _ = model.lossAndGradient(targets: batch.targets, mask: nil)
            model.backward()
            let norm = Profiler.measure(.clip) { GradientClipping.norm(model.gradients) }
            Profiler.measure(.optimizer) {
                optimizer.step(parameters: model.parameters, gradients: model.gradients, learningRate: 0.1,
                               gradientScale: GradientClipping.scale(norm: norm, maxNorm: 0.25), zeroingGradients: true)
            }
        }
    }

    /// Prints where a training step's time goes, section by section.
    static func profile(_ c: Configuration, trainSteps: Int) throws {
        let work = try Workload(c, steps: trainSteps)
        work.step(0) // warm-up: buffers are allocated on the first step
        Profiler.enable(true)
        let start = Timing.now()
        for i in 1...trainSteps { work.step(i) }
        let seconds = Timing.now() - start
        let totals = Profiler.totals
        Profiler.enable(false)
        let perStep = seconds / Double(trainSteps) * 1000
        let tokens = c.batch * c.steps
        print(String(format: "profile: %@ (V %d, E %d, H %d, L %d, B %d, T %d), %d steps, %d threads",
                     c.cell, c.vocabulary, c.embed, c.hidden, c.layers, c.batch, c.steps, trainSteps, Parallel.threadCount))
        print(String(format: "%.2f ms a step, %.0f tokens/s, %.1f GFLOP/s", perStep, Double(tokens) / (perStep / 1000),
                     flopsPerStep(c) / (perStep / 1000) / 1e9))
        let widths = [40, 10, 8, 12]
        print(Table.row(["section", "ms/step", "share", "idle core-ms"], widths: widths))
        var measured = 0.0
        for section in Profiler.Section.allCases {
            let ms = totals.seconds[section.rawValue] / Double(trainSteps) * 1000
            measured += ms
            let idle = totals.idleBySection[section.rawValue] / Double(trainSteps) * 1000
            print(Table.row([section.label, String(format: "%.3f", ms), String(format: "%.1f%%", 100 * ms / perStep),
                             String(format: "%.3f", idle)], widths: widths))
        }
        let other = perStep - measured
        print(Table.row(["other (outside the sections)", String(format: "%.3f", other),
                         String(format: "%.1f%%", 100 * other / perStep),
                         String(format: "%.3f", totals.idleBySection.last! / Double(trainSteps) * 1000)], widths: widths))
        let parallelMS = totals.parallelSeconds / Double(trainSteps) * 1000
        let idleMS = totals.idleCoreSeconds / Double(trainSteps) * 1000
        let serialMS = perStep - parallelMS
        let coreMS = perStep * Double(Parallel.threadCount)
        print(String(format: "parallel regions: %.0f a step, %.3f ms (%.1f%% of the step); idle/sync inside them %.3f core-ms",
                     Double(totals.regions) / Double(trainSteps), parallelMS, 100 * parallelMS / perStep, idleMS))
        print(String(format: "one core only (serial code): %.3f ms, leaving %.3f core-ms idle; cores busy %.1f%% of %.2f core-ms",
                     serialMS, serialMS * Double(Parallel.threadCount - 1),
                     100 * (coreMS - idleMS - serialMS * Double(Parallel.threadCount - 1)) / coreMS, coreMS))
    }

    /// Training steps, then batch-1 generation with the trained weights in `weights`.
    static func measure(_ c: Configuration, trainSteps: Int, generateTokens: Int, weights: WeightFormat = .f32) throws -> Result {
        let work = try Workload(c, steps: trainSteps)
        let model = work.model
        work.step(0) // warm-up: buffers are allocated on the first step
        let start = Timing.now(), cpuStart = ResourceUsage.cpuSeconds()
        for i in 1...trainSteps { work.step(i) }
        let seconds = Timing.now() - start
        var result = Result()
        result.trainCPUMillisecondsPerStep = (ResourceUsage.cpuSeconds() - cpuStart) / Double(trainSteps) * 1000
        result.trainTokensPerSecond = Double(trainSteps * c.batch * c.steps) / seconds
        result.trainGFLOPs = flopsPerStep(c) * Double(trainSteps) / seconds / 1e9

        let loaded = LoadedModel(model: model.snapshot(), vocabulary: try Vocabulary(tokens: (0..<c.vocabulary).map { "t\($0)" }, specialCount: 0),
                                 level: .word, weightFormat: weights)
        let generator = Generator(loaded: loaded, sampler: try Sampler(temperature: 0.8))
        _ = try generator.generate(prompt: [1], length: 10, seed: 1) // warm-up
        let genStart = Timing.now(), genCPUStart = ResourceUsage.cpuSeconds()
        let samples = try generator.generate(prompt: [1], length: generateTokens, seed: 2)
        result.generateTokensPerSecond = Double(samples[0].tokens) / (Timing.now() - genStart)
        result.generateCPUMicrosecondsPerToken = (ResourceUsage.cpuSeconds() - genCPUStart) / Double(max(1, samples[0].tokens)) * 1e6
        result.peakResidentMB = ResourceUsage.peakResidentMB() ?? .nan
        return result
    }
}
