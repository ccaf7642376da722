import Foundation
import Quill
import QuillServer

/// `quill serve CHECKPOINT`: a local completion server with a web page.
enum ServeCommand {
    static let spec = CommandSpec(
        name: "serve",
        summary: "Serve a checkpoint over HTTP: an OpenAI-style completions API (with streaming) and a web page.",
        positionals: ["CHECKPOINT"],
        options: [
            OptionSpec("host", .string, default: "127.0.0.1", "IPv4 address to listen on (anything but loopback is reachable from other machines)"),
            OptionSpec("port", .int, default: "8080", "TCP port (0: any free port, printed at start)"),
            ModelLoading.weightsOption,
            OptionSpec("max-tokens", .int, default: "1024", "largest max_tokens a request may ask"),
            OptionSpec("queue", .int, default: "8", "generations admitted at once (one runs, the rest wait); more get 503"),
            OptionSpec("max-body", .int, default: "65536", "largest request body in bytes (larger: 413)"),
            OptionSpec("connections", .int, default: "64", "connections served at once (more: 503)"),
            OptionSpec("idle-timeout", .duration, default: "10s", "how long a connection may stay silent while its request arrives"),
        ] + ModelLoading.stateDictOptions,
        notes: ["POST /v1/completions {\"prompt\", \"max_tokens\", \"temperature\", \"top_k\", \"top_p\", \"seed\", \"stop\", \"stream\"};",
                "GET /v1/models, GET /health, GET / (the page). Ctrl-C or SIGTERM stops the server."],
        examples: ["quill serve checkpoints/lighthouse",
                   "curl -s localhost:8080/v1/completions -d '{\"prompt\": \"The keeper\", \"max_tokens\": 50, \"seed\": 1}'"]
    )

    static func run(_ args: ParsedArguments) throws {
        let path = try args.positional(0)
        let host = args.string("host")! == "localhost" ? "127.0.0.1" : args.string("host")!
        let port = try args.int("port", atLeast: 0)!
        guard port <= 65535 else { throw CLIError.usage("--port must be at most 65535, got \(port)") }
        let loaded = try ModelLoading.load(path, args)
        let generator = Generator(loaded: loaded, sampler: try Sampler())
        let name = ((URL(fileURLWithPath: path).standardizedFileURL.path as NSString).lastPathComponent as NSString).deletingPathExtension
        let service = CompletionService(generator: generator, modelName: name, maximumTokens: try args.int("max-tokens", atLeast: 1)!,
                                        capacity: try args.int("queue", atLeast: 1)!)
        let c = loaded.model.config
        let api = CompletionAPI(service: service, description: [
            "level": loaded.level.rawValue, "cell": c.cell.rawValue, "layers": c.layers, "hidden_size": c.hiddenSize,
            "embedding_size": c.embeddingSize, "vocabulary_size": c.vocabularySize, "parameters": c.parameterCount,
            "weights": loaded.weightFormat.rawValue, "tied_weights": c.tieWeights,
        ])
        var limits = HTTPServer.Limits()
        limits.bodyBytes = try args.int("max-body", atLeast: 1)!
        limits.connections = try args.int("connections", atLeast: 1)!
        limits.idleSeconds = args.seconds("idle-timeout")!
        let server: HTTPServer
        do {
            server = try HTTPServer(host: host, port: port, limits: limits, route: { api.handle($0, $1) })
        } catch let error as ServerError {
            throw CLIError.failure(error.description)
        }
        if !host.hasPrefix("127.") {
            StandardError.write("quill: warning: listening on \(host), not loopback: anyone who can reach this machine can use the server")
        }
        signal(SIGPIPE, SIG_IGN)
        Signals.install()
        StandardError.write("serving \(name) (\(loaded.level.rawValue) level, \(c.cell.rawValue) \(c.layers) × \(c.hiddenSize)) on http://\(server.host):\(server.port)/")
        server.run(shouldStop: {
            if Signals.received != 0 { service.stop() }
            return Signals.received != 0
        })
        StandardError.write("stopped")
    }
}
