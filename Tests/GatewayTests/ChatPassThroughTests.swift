import Contracts
import FakeOpenAI
import Foundation
import Testing
import TestSupport

/// `/v1/chat/completions` as a pass-through: what memgrid does not model reaches the
/// provider, and the provider's answer the client, unchanged. Runs on
/// `LLMGatewayTests.system` (its fake calls a tool for "TOOLCALL").
extension LLMGatewayTests {
    static var weatherTool: [String: Any] {
        [
            "type": "function",
            "function": [
                "name": "get_weather", "description": "The weather in a city",
                "parameters": ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]],
            ] as [String: Any],
        ]
    }

    /// Every field of the request memgrid does not model, as the provider must get it.
    static var providerFields: [String: Any] {
        [
            "tools": [weatherTool], "tool_choice": "auto", "parallel_tool_calls": false, "logprobs": true, "top_logprobs": 2,
            "seed": 7, "user": "end-user-1", "stop": ["END"], "presence_penalty": 0.5, "logit_bias": ["50256": -100],
            "thinking": ["type": "enabled"], "n": 1,
        ]
    }

    static func jsonValue(_ object: Any) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: JSONSerialization.data(withJSONObject: object, options: [.fragmentsAllowed]))
    }

    static func object(_ text: String) throws -> NSDictionary {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSDictionary)
    }

    @Test func toolCallsAndProviderFieldsPassThroughBothWays() async throws {
        let fixture = try await Self.system.fixture
        let key = try await fixture.key(tenant: "tools-tenant")
        let question: [String: Any] = ["role": "user", "content": "TOOLCALL: what is the weather in Lyon?"]
        let first = try await fixture.request(
            "POST", "/v1/chat/completions", key: key,
            json: Self.providerFields.merging(["model": "fake-chat", "messages": [question]]) { $1 })
        #expect(first.status == 200, "\(String(decoding: first.body, as: UTF8.self))")
        // The answer, tool calls, reasoning and usage details included, as the provider gave it.
        let answer = try #require(JSONSerialization.jsonObject(with: first.body) as? NSDictionary)
        #expect(answer == (try Self.object(ToolCallSample.completion)))
        let asked = try #require(Self.fake.requests.last { $0.messages.last?.text.hasPrefix("TOOLCALL") == true })
        for (name, value) in Self.providerFields {
            #expect(asked.extra[name] == (try Self.jsonValue(value)), "\(name)")
        }

        // The tool's result goes back with the assistant's tool call, as OpenAI clients send it.
        let call = try #require(((answer["choices"] as? [[String: Any]])?.first?["message"]) as? [String: Any])
        let toolTurn: [String: Any] = ["role": "tool", "tool_call_id": "call_1", "content": #"{"temperature_c": 21}"#]
        let second = try await fixture.request(
            "POST", "/v1/chat/completions", key: key,
            json: ["model": "fake-chat", "tools": [Self.weatherTool], "messages": [question, call, toolTurn]])
        #expect(second.status == 200, "\(String(decoding: second.body, as: UTF8.self))")
        #expect(try JSONDecoder().decode(ChatCompletion.self, from: second.body).text == "It is sunny in Lyon.")
        let sent = try #require(Self.fake.requests.last { $0.messages.last?.role == "tool" })
        #expect(sent.messages[1].content == .null)
        #expect(sent.messages[1].extra["tool_calls"] == (try Self.jsonValue(call["tool_calls"] as Any)))
        #expect(sent.messages[1].extra["reasoning_content"] == .string("The user wants the weather: call the tool."))
        #expect(sent.messages[2].extra == ["tool_call_id": .string("call_1")])
        #expect(sent.messages[2].text == #"{"temperature_c": 21}"#)
    }

    /// Each chunk reaches the client as the provider sent it; the usage chunk only when
    /// asked for (memgrid always asks the provider, for metering), and the call is metered.
    @Test(arguments: [true, false])
    func streamedToolCallsPassThroughChunkByChunk(includeUsage: Bool) async throws {
        let fixture = try await Self.system.fixture
        let tenant = "tools-stream-\(includeUsage)"
        let key = try await fixture.key(tenant: tenant)
        var body: [String: Any] = [
            "model": "fake-chat", "stream": true, "tools": [Self.weatherTool],
            "messages": [["role": "user", "content": "TOOLCALL: the weather, streamed"]],
        ]
        if includeUsage { body["stream_options"] = ["include_usage": true] }
        let reply = try await fixture.request("POST", "/v1/chat/completions", key: key, json: body)
        #expect(reply.status == 200, "\(String(decoding: reply.body, as: UTF8.self))")
        let events = String(decoding: reply.body, as: UTF8.self).components(separatedBy: "\n\n").filter { !$0.isEmpty }
        #expect(events.last == "data: [DONE]")
        let chunks = try events.dropLast().map { try Self.object(String($0.dropFirst("data: ".count))) }
        let expected = try (includeUsage ? ToolCallSample.chunks : ToolCallSample.chunks.dropLast()).map(Self.object)
        #expect(chunks == expected)

        var usage: [String: Any] = [:]
        let metered = await TestBroker.eventually(timeout: .seconds(10)) {
            usage = (try? await fixture.request("GET", "/v1/usage", key: key).json["total"] as? [String: Any]) ?? [:]
            return usage["calls"] as? Int == 1
        }
        #expect(metered)
        #expect(usage["prompt_tokens"] as? Int == 50)
        #expect(usage["completion_tokens"] as? Int == 10)
    }

    /// The official `openai` Python SDK (Tests/Clients/openai_tools_client.py) runs a tool
    /// round trip, whole and streamed, against the gateway.
    @Test func theOpenAIPythonSDKRunsAToolRoundTrip() async throws {
        let fixture = try await Self.system.fixture
        let key = try await fixture.key(tenant: "tools-sdk-tenant")
        let (status, output) = try await PythonClient.run(
            "openai_tools_client.py", arguments: ["http://127.0.0.1:\(fixture.port)/v1", key])
        #expect(status == 0, "\(output)")
        #expect(output.contains("ok tools whole") && output.contains("ok tools streamed"), "\(output)")
    }
}
