import Foundation
import Quill
import QuillKernels

/// `quill-bench tokenize FILE --level bpe`: learning merges and encoding with Quill's byte-level
/// BPE beside Hugging Face `tokenizers` (run by `--python`, default `python3`) on the same file in
/// the same session, the two alternating for `--rounds` rounds so that load on a shared machine
/// falls on both.
enum BytePairBenchmark {
    /// Learns tokens beyond the bytes (argv[2] is the vocabulary size with them and `<pad>`) from FILE (argv[1]) with tokenizers' BpeTrainer (byte-level
    /// pre-tokenizer, every byte in the alphabet, pairs seen twice or more), then encodes the file
    /// whole on one core and as a batch of lines on every core; prints one JSON line.
    static let script = """
    import json, resource, sys, time
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    path, size = sys.argv[1], int(sys.argv[2])
    text = open(path, encoding="utf-8").read()
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=size, min_frequency=2, special_tokens=["<pad>"], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    t = time.perf_counter(); tok.train([path], trainer); learn = time.perf_counter() - t
    t = time.perf_counter(); whole = len(tok.encode(text).ids); one = time.perf_counter() - t
    lines = text.splitlines(keepends=True)
    t = time.perf_counter(); batch = sum(len(e.ids) for e in tok.encode_batch(lines)); every = time.perf_counter() - t
    print(json.dumps({"learn": learn, "merges": len(tok.get_vocab()) - 257, "tokens": whole, "encode": one,
                      "batch_tokens": batch, "encode_batch": every,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
    """

    static func run(paths: [String], merges: Int, python: String, rounds: Int) throws {
        let widths = [10, 6, 8, 10, 12, 14, 9]
        print("threads \(Parallel.threadCount); Hugging Face tokenizers from \(python); \(rounds) alternating rounds, best of each")
        print(Table.row(["who", "MB", "tokens+", "learn s", "tokens", "encode tok/s", "peak MB"], widths: widths))
        for path in paths {
            let text = try TextFile(path: path)
            let megabytes = String(format: "%.1f", Double(text.bytes.count) / 1e6)
            var quillLearn = Double.infinity, quillEncode = Double.infinity, learned: BytePairMerges?, tokens = 0
            var hf: [String: Double] = [:]
            for _ in 0..<rounds {
                var start = Timing.now()
                let m = BytePairLearner.learn(text.bytes, newTokens: merges)
                quillLearn = min(quillLearn, Timing.now() - start)
                learned = m
                let encoder = BytePairEncoder(merges: m)
                start = Timing.now()
                tokens = encoder.encode(text.bytes).count
                quillEncode = min(quillEncode, Timing.now() - start)
                if let (status, line) = ChildProcess.run(python, ["-c", script, path, "\(merges + 257)"], showErrors: false), status == 0,
                   let out = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Double] {
                    for (key, value) in out { hf[key] = ["learn", "encode", "encode_batch"].contains(key) ? min(hf[key] ?? .infinity, value) : value }
                }
            }
            let peak = ResourceUsage.peakResidentMB().map { String(format: "%.0f", $0) } ?? "?"
            print(Table.row(["quill", megabytes, "\((learned?.symbolCount ?? 256) - 256)", String(format: "%.2f", quillLearn), "\(tokens)",
                             String(format: "%.0f", Double(tokens) / quillEncode), peak], widths: widths))
            if let learn = hf["learn"], let encode = hf["encode"], let batch = hf["encode_batch"] {
                let t = hf["tokens"] ?? 0, bt = hf["batch_tokens"] ?? 0
                print(Table.row(["hf 1 core", megabytes, "\(Int(hf["merges"] ?? 0))", String(format: "%.2f", learn), "\(Int(t))",
                                 String(format: "%.0f", t / encode), String(format: "%.0f", hf["peak_mb"] ?? 0)], widths: widths))
                print(Table.row(["hf batch", megabytes, "", "", "\(Int(bt))", String(format: "%.0f", bt / batch), ""], widths: widths))
            } else {
                print("tokenizers: not available from \(python) (pip install tokenizers)")
            }
        }
    }
}
