import Foundation
import Quill

/// The routes of `quill serve`: an OpenAI-style completions API, an inspection of a text (the
/// web page's Inspect tab), the model's description, a health check and the web page, behind an
/// access policy.
public struct CompletionAPI: Sendable {
    public let service: CompletionService
    /// What `/v1/models` says of the model.
    public let description: [String: any Sendable]
    /// Which requests are served (by default: loopback Host names, same-origin browser requests, no key).
    public let access: AccessPolicy

    public init(service: CompletionService, description: [String: any Sendable], access: AccessPolicy = .loopbackOnly) {
        self.service = service
        self.description = description
        self.access = access
    }

    static let routes: [String: String] = ["/": "GET", "/health": "GET", "/v1/models": "GET", "/v1/completions": "POST",
                                           "/v1/inspect": "POST"]

    /// Answers one request on `connection`.
    public func handle(_ request: HTTPRequest, _ connection: Connection) {
        switch access.decide(request) {
        case .answer(let response): connection.send(response.bytes)
        case .proceed(let headers): route(request, ResponseWriter(connection: connection, headers: headers))
        }
    }

    private func route(_ request: HTTPRequest, _ writer: ResponseWriter) {
        guard let method = Self.routes[request.path] else {
            writer.send(HTTPResponse.error(404, "no such path: \(request.path) (try /, /health, /v1/models, /v1/completions, /v1/inspect)"))
            return
        }
        guard request.method == method else {
            var response = HTTPResponse.error(405, "\(request.path) takes \(method), not \(request.method)")
            response.headers.append(("Allow", method))
            writer.send(response)
            return
        }
        switch request.path {
        case "/": writer.send(HTTPResponse(status: 200, headers: [("Content-Type", "text/html; charset=utf-8")],
                                           body: Array(WebPage.html.utf8)))
        case "/health": writer.send(HTTPResponse.json(200, ["status": "ok", "busy": service.busy, "capacity": service.capacity]))
        case "/v1/models":
            var model: [String: Any] = ["id": service.modelName, "object": "model", "owned_by": "quill"]
            for (key, value) in description { model[key] = value }
            writer.send(HTTPResponse.json(200, ["object": "list", "data": [model]]))
        case "/v1/inspect": inspect(request, writer)
        default: complete(request, writer)
        }
    }

    /// A request body read by `read`, or nil after answering 400 with what is wrong.
    private func parse<Request>(_ writer: ResponseWriter, _ read: () throws -> Request) -> Request? {
        do {
            return try read()
        } catch let invalid as CompletionRequest.Invalid {
            writer.send(HTTPResponse.error(400, invalid.message, field: invalid.field))
        } catch {
            writer.send(HTTPResponse.error(400, "\(error)"))
        }
        return nil
    }

    /// Takes one of the service's slots (the caller releases it), or answers 503 and gives false.
    private func admit(_ writer: ResponseWriter) -> Bool {
        guard service.admit() else {
            var response = HTTPResponse.error(503, "all \(service.capacity) slots are taken; try again shortly")
            response.headers.append(("Retry-After", "1"))
            writer.send(response)
            return false
        }
        return true
    }

    /// Answers with the data object of `InspectionPage` (the Inspect tab draws it with the same
    /// renderer as `quill inspect`'s file). An inspection takes one of the service's slots.
    private func inspect(_ request: HTTPRequest, _ writer: ResponseWriter) {
        guard let parsed = parse(writer, { try InspectRequest(json: request.body) }), admit(writer) else { return }
        defer { service.release() }
        do {
            let data = try service.inTurn {
                let inspection = try ModelInspector(loaded: service.generator.loaded, topK: parsed.topK).inspect(text: parsed.text)
                return try InspectionPage(inspection: inspection, cellsPerFeature: parsed.cells,
                                          title: "\(service.modelName) on the pasted text").dataJSON()
            }
            writer.send(HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: Array(data.utf8)))
        } catch let error as QuillError {
            writer.send(HTTPResponse.error(400, error.description, field: "text"))
        } catch {
            writer.send(HTTPResponse.error(500, "inspection failed: \(error)"))
        }
    }

    private func complete(_ request: HTTPRequest, _ writer: ResponseWriter) {
        guard let parsed = parse(writer, { try CompletionRequest(json: request.body, maximumTokens: service.maximumTokens) }),
              admit(writer) else { return }
        defer { service.release() }
        let id = "cmpl-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let created = Int(Date().timeIntervalSince1970)
        func chunk(_ text: String, finish: String?) -> [String: Any] {
            ["id": id, "object": "text_completion", "created": created, "model": service.modelName,
             "choices": [["index": 0, "text": text, "finish_reason": finish ?? NSNull()] as [String: Any]]]
        }
        func usage(_ c: CompletionService.Completion) -> [String: Int] {
            ["prompt_tokens": c.promptTokens, "completion_tokens": c.completionTokens, "total_tokens": c.promptTokens + c.completionTokens]
        }
        do {
            if parsed.stream {
                var started = false
                func event(_ object: Any) -> Bool {
                    if !started {
                        started = true
                        let head = HTTPResponse(status: 200, headers: [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")])
                        guard writer.sendHead(head) else { return false }
                    }
                    return writer.stream(Array("data: ".utf8) + HTTPResponse.jsonBytes(object) + Array("\n\n".utf8))
                }
                let result = try service.complete(parsed, clientGone: { writer.peerClosed }) { piece in event(chunk(piece, finish: nil)) }
                var last = chunk("", finish: result.finishReason)
                last["usage"] = usage(result)
                if event(last) { writer.stream(Array("data: [DONE]\n\n".utf8)) }
            } else {
                var tokens = 0
                let result = try service.complete(parsed, clientGone: { writer.peerClosed }) { _ in
                    // A client that hangs up frees its slot: checked every few tokens without waiting.
                    tokens += 1
                    return tokens % 8 != 0 || !writer.peerClosed
                }
                var body = chunk(result.text, finish: result.finishReason)
                body["usage"] = usage(result)
                writer.send(HTTPResponse.json(200, body))
            }
        } catch let invalid as CompletionRequest.Invalid {
            writer.send(HTTPResponse.error(400, invalid.message, field: invalid.field))
        } catch is CompletionService.Abandoned {
            // Whoever still listens is told the server is going away; a client that hung up hears nothing.
            writer.send(HTTPResponse.error(503, "the server is stopping; the prompt was not finished"))
        } catch {
            writer.send(HTTPResponse.error(500, "generation failed: \(error)"))
        }
    }
}
