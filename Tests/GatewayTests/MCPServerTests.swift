import Foundation
import NIOHTTP1
import Testing
import TestSupport

/// memgrid's MCP server at `/mcp` on `LLMGatewayTests.system` (whose fake extraction
/// turns a conversation into "Lives in Lyon").
extension LLMGatewayTests {
    /// The official Python `mcp` SDK (Tests/Clients/mcp_client.py): initialize, list
    /// tools, memorize, retrieve, list, get, delete, a tool error, a wrong key refused.
    @Test func theOfficialMCPClientUsesTheMemoryTools() async throws {
        let fixture = try await Self.system.fixture
        let key = try await fixture.key(tenant: "mcp-tenant")
        let (status, output) = try await PythonClient.run(
            "mcp_client.py", arguments: ["http://127.0.0.1:\(fixture.port)/mcp", key, "mg_not_a_key"])
        #expect(status == 0, "\(output)")
        for step in ["initialize", "list tools", "memorize", "retrieve", "list get delete", "tool error", "wrong key refused"] {
            #expect(output.contains("ok \(step)"), "\(step): \(output)")
        }
    }

    /// Another tenant's memory is as absent through MCP as through the REST API.
    @Test func mcpToolsStayInsideTheCallersTenant() async throws {
        let fixture = try await Self.system.fixture
        let owner = try await fixture.key(tenant: "mcp-owner")
        let stranger = try await fixture.key(tenant: "mcp-stranger")
        let job = try await GatewayAPITests.memorize("I live in Lyon.", user: "zoe", key: owner, on: fixture)
        let id = try #require(((job["result"] as? [String: Any])?["created"] as? [String])?.first)
        let call: [String: Any] = [
            "jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": ["name": "get_memory", "arguments": ["id": id]],
        ]
        let headers = ["Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-06-18"]
        let mine = try await fixture.request("POST", "/mcp", key: owner, json: call, headers: headers)
        let theirs = try await fixture.request("POST", "/mcp", key: stranger, json: call, headers: headers)
        #expect(mine.status == 200 && theirs.status == 200, "\(String(decoding: theirs.body, as: UTF8.self))")
        let result = { (reply: GatewayFixture.Reply) in reply.json["result"] as? [String: Any] ?? [:] }
        #expect(result(mine)["isError"] as? Bool == false)
        #expect(result(theirs)["isError"] as? Bool == true)
        #expect(String(decoding: theirs.body, as: UTF8.self).contains("memory_not_found"))
        #expect(try await fixture.request("GET", "/mcp", key: owner, headers: headers).status == 405)
        #expect(try await fixture.request("POST", "/mcp", json: call, headers: headers).status == 401)
    }
}
