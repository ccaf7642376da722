import Foundation
import QuillCPUCheck

CPUCheck.exitIfUnsupported(program: "quill-bench")

let usage = """
usage: quill-bench COMMAND [options]   (build with -c release for meaningful figures)

commands:
  gemm [--threads N] [--numpy yes|no] [--python PYTHON] [--shape M,N,K[,ta][,tb]]
                                        GFLOP/s of the LSTM's GEMM shapes (or one shape), beside
                                        numpy timed in the same run by PYTHON, its BLAS named
  train [--vocab V --embed E --hidden H --layers L --batch B --seq-len T --steps N --generate N]
        [--cell C] [--threads N] [--weights f32|bf16|int8] [--json] [--profile]
                                        training tokens/s on random data, then batch-1 generation
                                        tokens/s, peak RSS and the GFLOP/s of the training step;
                                        --profile prints where a step's time goes instead
  weights CHECKPOINT TEXT [--tokens N] [--repeats N]
                                        float32, bfloat16 and int8 weights of a trained model: size,
                                        cross-entropy on TEXT and its change, generation tokens/s
  generate [--launches N]               batch-1 generation and evaluation tokens/s (2×256 char, 2×650
                                        word), the memory-bandwidth bound, time to first token
  suite [--repeats N] [--pytorch PYTHON] [--twin PATH] [--configs a,b] [--cell C]
                                        the four standard configurations and char-attn (char with
                                        --attention --attention-memory 512); with --pytorch, the
                                        PyTorch twin (Benchmarks/pytorch_twin.py) run alternately
                                        in the same session, its update by hand and by
                                        torch.optim.SGD, the faster's medians and ratios beside
  tokenize FILE… [--level char|word]    MB/s of counting + vocabulary building, and of encoding
  tokenize FILE… --level bpe [--merges N] [--python PYTHON] [--rounds N]
                                        learning N merges (4096) and encoding, beside Hugging Face
                                        tokenizers run alternately in the same session
  parity FIXTURE.safetensors…           compare forward, loss, final state and every gradient with a
                                        PyTorch fixture; exit 0 only when all are within tolerance
"""

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.count > 1 && (arguments.contains("--help") || arguments.contains("-h")) {
    // Every command's flags are in the one usage text.
    print(usage)
    exit(0)
}
do {
    switch arguments.first {
    case "gemm": try GEMMBenchmark.run(arguments: Array(arguments.dropFirst()))
    case "train": try TrainBenchmark.run(arguments: Array(arguments.dropFirst()))
    case "generate": try InferenceBenchmark.run(arguments: Array(arguments.dropFirst()))
    case "gemm-rate": GEMMBenchmark.printRate()
    case "weights": try WeightsBenchmark.run(arguments: Array(arguments.dropFirst()))
    case "suite": try SuiteBenchmark.run(arguments: Array(arguments.dropFirst()))
    case "tokenize": try TokenizeBenchmark.run(arguments: Array(arguments.dropFirst()))
    case "parity": exit(try ParityBenchmark.run(arguments: Array(arguments.dropFirst())))
    case "--help", "-h", nil: print(usage)
    default:
        FileHandle.standardError.write("quill-bench: unknown command '\(arguments[0])'\n\(usage)\n".data(using: .utf8)!)
        exit(2)
    }
} catch {
    FileHandle.standardError.write("quill-bench: \(error)\n".data(using: .utf8)!)
    exit(2)
}
