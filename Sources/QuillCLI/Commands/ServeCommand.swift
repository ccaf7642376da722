import Foundation
import Quill
import QuillServer

/// `quill serve CHECKPOINT`: a local completion server with a web page.
enum ServeCommand: Command {
    enum Option: ModelLoadingOption {
        case host, port, maxTokens, queue, parallel, maxBody, connections, connectionsPerClient, idleTimeout
        case allowOrigin, apiKey, apiKeyFile
        case model(ModelLoading.Option)

        static var allCases: [Option] {
            [.host, .port, .model(.weights), .maxTokens, .queue, .parallel, .maxBody, .connections, .connectionsPerClient, .idleTimeout,
             .allowOrigin, .apiKey, .apiKeyFile] + ModelLoading.Option.stateDict.map(Option.model)
        }

        var spec: OptionSpec {
            switch self {
            case .host: OptionSpec("host", .string, default: "127.0.0.1", "IPv4 address to listen on (anything but loopback is reachable from other machines)")
            case .port: OptionSpec("port", .int, default: "8080", "TCP port (0: any free port, printed at start)", minimum: 0, maximum: 65535)
            case .maxTokens: OptionSpec("max-tokens", .int, default: "1024", "largest max_tokens a request may ask", minimum: 1, maximum: 1 << 20)
            case .queue: OptionSpec("queue", .int, default: "8", "generations admitted at once (running or waiting); more get 503", minimum: 1, maximum: 4096)
            case .parallel: OptionSpec("parallel", .int, default: "1", "generations that run at once (each session has its own state; one at a time uses every core)", minimum: 1, maximum: 64)
            case .maxBody: OptionSpec("max-body", .int, default: "65536", "largest request body in bytes (larger: 413)", minimum: 1, maximum: 1 << 30)
            case .connections: OptionSpec("connections", .int, default: "64", "connections served at once (more: 503)", minimum: 1, maximum: 4096)
            case .connectionsPerClient: OptionSpec("connections-per-client", .int, default: "16", "connections served at once from one client address (more: 503)",
                                                   minimum: 1, maximum: 4096)
            case .idleTimeout: OptionSpec("idle-timeout", .duration, default: "10s", "how long a connection may stay silent while its request arrives")
            case .allowOrigin: OptionSpec("allow-origin", .string, "a web origin (scheme://host[:port]) whose pages may call the server; other origins get 403",
                                          repeatable: true, valueName: "ORIGIN")
            case .apiKey: OptionSpec("api-key", .string, "require 'Authorization: Bearer KEY' on /v1/* (others can see it in the process list: prefer --api-key-file)",
                                     valueName: "KEY")
            case .apiKeyFile: OptionSpec("api-key-file", .string, "a file whose first line is the API key (as --api-key)", valueName: "FILE")
            case .model(let option): option.spec
            }
        }
    }

    static let spec = CommandSpec(
        name: "serve",
        summary: "Serve a checkpoint over HTTP: an OpenAI-style completions API (with streaming) and a web page.",
        positionals: [Positional("CHECKPOINT", "a checkpoint folder or .safetensors file (or a PyTorch state dict with --vocab)")],
        options: Option.self,
        notes: ["POST /v1/completions {\"prompt\", \"max_tokens\", \"temperature\", \"top_k\", \"top_p\", \"seed\", \"stop\", \"stream\"};",
                "GET /v1/models, GET /health, GET / (the page). Ctrl-C or SIGTERM stops the server."],
        examples: ["quill serve checkpoints/lighthouse",
                   "curl -s localhost:8080/v1/completions -d '{\"prompt\": \"The keeper\", \"max_tokens\": 50, \"seed\": 1}'"]
    )

    static func run(_ args: ParsedArguments<Option>) throws {
        let path = try args.positional(0)
        let given = try args.string(.host)
        let host = given == "localhost" ? "127.0.0.1" : given
        let port = try args.int(.port)
        let access = try accessPolicy(args, host: host)
        let loaded = try ModelLoading.load(path, args)
        let generator = Generator(loaded: loaded, sampler: try Sampler())
        let name = ((URL(fileURLWithPath: path).standardizedFileURL.path as NSString).lastPathComponent as NSString).deletingPathExtension
        let service = CompletionService(generator: generator, modelName: name, maximumTokens: try args.int(.maxTokens),
                                        capacity: try args.int(.queue), parallel: try args.int(.parallel))
        let c = loaded.model.config
        let api = CompletionAPI(service: service, description: [
            "level": loaded.level.rawValue, "cell": c.cell.rawValue, "layers": c.layers, "hidden_size": c.hiddenSize,
            "embedding_size": c.embeddingSize, "vocabulary_size": c.vocabularySize, "parameters": c.parameterCount,
            "weights": loaded.weightFormat.rawValue, "tied_weights": c.tieWeights,
        ], access: access)
        var limits = HTTPServer.Limits()
        limits.bodyBytes = try args.int(.maxBody)
        limits.connections = try args.int(.connections)
        limits.connectionsPerClient = try args.int(.connectionsPerClient)
        limits.idleSeconds = try args.seconds(.idleTimeout)
        let server: HTTPServer
        do {
            server = try HTTPServer(host: host, port: port, limits: limits, route: { api.handle($0, $1) })
        } catch let error as ServerError {
            throw CLIError.failure(error.description)
        }
        if !AccessPolicy.isLoopback(address: host) && !api.access.requiresKey {
            StandardError.write("quill: warning: listening on \(host), not loopback, without --api-key: anyone who can reach this machine can use the server")
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

    /// Who may use the server: loopback Host names on a loopback bind, the listed origins, the key.
    static func accessPolicy(_ args: ParsedArguments<Option>, host: String) throws -> AccessPolicy {
        let key = try apiKey(args)
        do {
            return try AccessPolicy(loopbackHostsOnly: AccessPolicy.isLoopback(address: host), allowedOrigins: args.strings(.allowOrigin),
                                    apiKey: key?.key)
        } catch .invalidOrigin(let origin) {
            throw CLIError.usage("--allow-origin: \(ServerError.invalidOrigin(origin))")
        } catch {
            let flag = key?.file.map { "--api-key-file \($0)" } ?? "--api-key"
            let message = "\(flag): \(error)"
            throw key?.file == nil ? CLIError.usage(message) : CLIError.failure(message)
        }
    }

    /// The key given by `--api-key`, or the first line of `--api-key-file` (and that file's path).
    static func apiKey(_ args: ParsedArguments<Option>) throws -> (key: String, file: String?)? {
        if args.isSet(.apiKey) && args.isSet(.apiKeyFile) { throw CLIError.usage("give --api-key or --api-key-file, not both") }
        if let key = args.optionalString(.apiKey) { return (key, nil) }
        guard let path = args.optionalString(.apiKeyFile) else { return nil }
        // TextFile refuses a missing, binary or blank file, and turns CR LF into LF.
        let bytes = try TextFile(path: path).bytes
        let line = bytes.split(separator: 0x0A, maxSplits: 1, omittingEmptySubsequences: false).first ?? []
        return (String(decoding: line, as: UTF8.self), path)
    }
}
