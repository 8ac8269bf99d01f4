import Foundation
import HTTPTypes
import Hummingbird
import MCP

/// The Model Context Protocol over Streamable HTTP at `/mcp`, stateless: each POST gets
/// its own MCP server and transport, holding the caller's key, so no session state is
/// kept or shared between tenants (a transport matches answers by JSON-RPC id alone,
/// which two clients may both use). The server sends nothing on its own, so GET (a
/// server-sent event stream) answers 405, as the protocol allows.
struct MCPEndpoint: Sendable {
    let tools: MemoryTools
    let maxBody: Int

    /// The API key authenticates: no Origin check (memgrid is not a local server that
    /// DNS rebinding could reach without a key).
    private static let validation = StandardValidationPipeline(validators: [
        OriginValidator.disabled, AcceptHeaderValidator(mode: .jsonOnly), ContentTypeValidator(), ProtocolVersionValidator(),
    ])

    func register(on router: RouterGroup<GatewayContext>) {
        router.post(use: handle)
        router.get(use: handle)
        router.delete(use: handle)
    }

    func handle(_ request: Hummingbird.Request, context: GatewayContext) async throws -> Hummingbird.Response {
        // AuthMiddleware let the request in, so it carries a valid key; each tool call presents it again.
        let caller = MemoryTools.Caller(
            authorization: request.headers[.authorization] ?? "", tenantID: try context.tenantID(), logger: context.logger)
        let server = Server(
            name: "memgrid", version: "1",
            instructions: "Long-term memory of your users: memorize conversations, retrieve what is relevant, list and delete memories.",
            capabilities: .init(tools: .init(listChanged: false)))
        let tools = tools
        await server.withMethodHandler(ListTools.self) { _ in ListTools.Result(tools: MemoryTools.tools) }
        await server.withMethodHandler(CallTool.self) { call in
            try await tools.call(call.name, arguments: call.arguments ?? [:], caller: caller)
        }
        let transport = StatelessHTTPServerTransport(validationPipeline: Self.validation, logger: context.logger)
        try await server.start(transport: transport)
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBody)
        } catch {
            await server.stop()
            throw APIError(
                status: .contentTooLarge, type: "invalid_request_error", code: "body_too_large",
                message: "request body larger than \(maxBody) bytes")
        }
        var headers: [String: String] = [:]
        for field in request.headers {
            headers[field.name.canonicalName] = headers[field.name.canonicalName].map { "\($0), \(field.value)" } ?? field.value
        }
        let answer = await transport.handleRequest(MCP.HTTPRequest(
            method: request.method.rawValue, headers: headers,
            body: body.readableBytes > 0 ? Data(body.readableBytesView) : nil, path: request.uri.path))
        await server.stop()
        var fields = HTTPFields()
        for (name, value) in answer.headers {
            if let name = HTTPField.Name(name) { fields[name] = value }
        }
        return Hummingbird.Response(
            status: .init(code: answer.statusCode), headers: fields,
            body: answer.bodyData.map { .init(byteBuffer: ByteBuffer(bytes: $0)) } ?? .init())
    }
}
