import Contracts
import Foundation
import Logging
import MCP
import NIOHTTP1
import Storage

/// The memory tools of memgrid's MCP server. Each is one call (memorize: a call, then
/// polls of the job) to the gateway's own `/v1` routes with the caller's key, so an MCP
/// client gets exactly the REST API's behaviour; the tool's text is the API's JSON
/// answer, and an API error is a tool error carrying the API's error body.
struct MemoryTools: Sendable {
    static let defaultWaitSeconds = 30
    static let maxWaitSeconds = 120
    static let pollInterval = Duration.milliseconds(250)

    let loopback: GatewayLoopback
    /// Where `memorize` watches its job: read directly, so waiting costs no API requests.
    let jobs: JobRepository

    /// A tool error for arguments the tool cannot even pass on: the model reads it and retries.
    private struct ArgumentError: Error {
        let message: String
    }

    /// The caller of one MCP request.
    struct Caller: Sendable {
        var authorization: String
        var tenantID: String
        var logger: Logger
    }

    func call(_ name: String, arguments: [String: Value], caller: Caller) async throws -> CallTool.Result {
        do {
            return try await dispatch(name, arguments: arguments, caller: caller)
        } catch let error as ArgumentError {
            return Self.error(error.message)
        }
    }

    private func dispatch(_ name: String, arguments: [String: Value], caller: Caller) async throws -> CallTool.Result {
        let reply: GatewayLoopback.Reply
        let authorization = caller.authorization
        switch name {
        case "memorize":
            return try await memorize(arguments, caller: caller)
        case "retrieve":
            reply = try await loopback.call(.POST, ["retrieve"], json: try Self.json(arguments), authorization: authorization)
        case "list_memories":
            var query = [("user_id", try Self.string("user_id", in: arguments))]
            for name in ["agent_id", "type", "category", "cursor", "since", "until", "as_of", "limit", "include_superseded"] {
                if let value = arguments[name], value != .null { query.append((name, try Self.text(value, name))) }
            }
            reply = try await loopback.call(.GET, ["memories"], query: query, authorization: authorization)
        case "get_memory":
            reply = try await loopback.call(.GET, ["memories", try Self.string("id", in: arguments)], authorization: authorization)
        case "delete_memory":
            reply = try await loopback.call(.DELETE, ["memories", try Self.string("id", in: arguments)], authorization: authorization)
        case "list_categories":
            reply = try await loopback.call(
                .GET, ["users", try Self.string("user_id", in: arguments), "categories"], authorization: authorization)
        default:
            throw MCPError.invalidParams("unknown tool '\(name)'; the tools are \(Self.tools.map(\.name).joined(separator: ", "))")
        }
        return Self.result(reply)
    }

    /// Submits the conversation, then waits for its job to end (`wait_seconds`) and
    /// returns the job as `GET /v1/jobs/{id}` shows it, finished or not.
    private func memorize(_ arguments: [String: Value], caller: Caller) async throws -> CallTool.Result {
        var body = arguments
        let wait: Int
        switch body.removeValue(forKey: "wait_seconds") {
        case nil, .null?: wait = Self.defaultWaitSeconds
        case .int(let seconds)? where (0...Self.maxWaitSeconds).contains(seconds): wait = seconds
        default: return Self.error("wait_seconds must be an integer from 0 to \(Self.maxWaitSeconds)")
        }
        let submitted = try await loopback.call(.POST, ["memorize"], json: try Self.json(body), authorization: caller.authorization)
        guard submitted.isSuccess, let id = submitted.json["id"] as? String else { return Self.result(submitted) }
        let deadline = ContinuousClock.now + .seconds(wait)
        while true {
            guard let job = try await jobs.get(id: id, tenantID: caller.tenantID, logger: caller.logger) else { return Self.result(submitted) }
            guard [.queued, .running].contains(job.status), ContinuousClock.now < deadline else {
                let children = try await jobs.children(of: id, tenantID: caller.tenantID, logger: caller.logger)
                return Self.result(.init(status: 200, body: try WireJSON.encoder().encode(JobsAPI.JobView(job, children: children))))
            }
            try await Task.sleep(for: Self.pollInterval)
        }
    }

    private static func result(_ reply: GatewayLoopback.Reply) -> CallTool.Result {
        let text = String(decoding: reply.body, as: UTF8.self)
        let structured = reply.isSuccess ? try? JSONDecoder().decode(Value.self, from: reply.body) : nil
        return CallTool.Result(content: [.text(text: text, annotations: nil, _meta: nil)], structuredContent: structured, isError: !reply.isSuccess)
    }

    private static func error(_ message: String) -> CallTool.Result {
        CallTool.Result(content: [.text(text: message, annotations: nil, _meta: nil)], isError: true)
    }

    private static func json(_ arguments: [String: Value]) throws -> Any {
        try JSONSerialization.jsonObject(with: JSONEncoder().encode(arguments))
    }

    private static func string(_ name: String, in arguments: [String: Value]) throws -> String {
        guard let text = arguments[name]?.stringValue else { throw ArgumentError(message: "\(name) is required and must be a string") }
        return text
    }

    /// A scalar argument as a query parameter.
    private static func text(_ value: Value, _ name: String) throws -> String {
        switch value {
        case .string(let text): return text
        case .int(let number): return String(number)
        case .bool(let flag): return String(flag)
        default: throw ArgumentError(message: "\(name) must be a string, an integer or a boolean")
        }
    }
}
