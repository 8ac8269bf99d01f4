import Contracts
import Foundation
import Testing

/// Chat requests and answers keep what memgrid does not model: decoding and encoding
/// again gives the same JSON (the pass-through of `/v1/chat/completions`).
@Suite("Chat types keep unmodeled members")
struct ChatPassThroughTests {
    static let request = #"""
        {"model": "deepseek-chat", "max_completion_tokens": 64, "n": 2, "seed": 9007199254740993, "stop": "END", "temperature": 0.7,
         "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
         "tool_choice": {"type": "function", "function": {"name": "f"}}, "thinking": {"type": "enabled"},
         "stream": true, "stream_options": {"include_usage": false, "include_obfuscation": true},
         "messages": [
           {"role": "user", "content": [{"type": "text", "text": "look"}, {"type": "image_url", "image_url": {"url": "data:,"}}]},
           {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
           {"role": "tool", "tool_call_id": "c1", "content": "42"}]}
        """#

    static let completion = #"""
        {"id": "x", "object": "chat.completion", "created": 1, "model": "m", "system_fingerprint": "fp", "service_tier": "default",
         "choices": [{"index": 0, "finish_reason": "stop", "logprobs": {"content": [{"token": "a", "logprob": -0.25}]},
                      "message": {"role": "assistant", "content": "a", "refusal": null, "reasoning_content": "because"}}],
         "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4, "prompt_cache_hit_tokens": 2,
                   "completion_tokens_details": {"reasoning_tokens": 1}}}
        """#

    static let chunk = #"""
        {"id": "x", "object": "chat.completion.chunk", "created": 1, "model": "m",
         "choices": [{"index": 0, "finish_reason": null, "delta": {"content": null, "tool_calls": [{"index": 0, "id": "c1"}]}}]}
        """#

    static func roundTrip<T: Codable>(_ type: T.Type, _ text: String) throws -> (NSDictionary, NSDictionary, T) {
        let decoded = try JSONDecoder().decode(T.self, from: Data(text.utf8))
        let again = try #require(JSONSerialization.jsonObject(with: JSONEncoder().encode(decoded)) as? NSDictionary)
        let original = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSDictionary)
        return (again, original, decoded)
    }

    @Test func aRequestGoesOnAsItCame() throws {
        let (again, original, request) = try Self.roundTrip(ChatRequest.self, Self.request)
        #expect(again == original)
        #expect(request.completionTokenCap == 64)
        #expect(request.extra["seed"] == .integer(9_007_199_254_740_993), "an integer above 2^53 stays exact")
        #expect(request.choiceCount == 2)
        #expect(request.messages[0].text == "look")
        #expect(request.messages[1].toolCalls?.count == 1)
    }

    @Test func answersAndChunksComeBackAsTheyCame() throws {
        let (again, original, completion) = try Self.roundTrip(ChatCompletion.self, Self.completion)
        #expect(again == original)
        #expect(completion.text == "a")
        #expect(completion.usage?.cachedTokens == 2)
        let (chunkAgain, chunkOriginal, _) = try Self.roundTrip(ChatChunk.self, Self.chunk)
        #expect(chunkAgain == chunkOriginal)
    }

    @Test func aChatCallCarriesTheInjectedMemoryTokens() throws {
        let call = ChatCall(tenantID: "t", request: try JSONDecoder().decode(ChatRequest.self, from: Data(Self.request.utf8)), memoryTokens: 120)
        let decoded = try WireJSON.decoder().decode(ChatCall.self, from: WireJSON.encoder().encode(call))
        #expect(decoded == call)
    }

    @Test func contentThatIsNeitherTextNorPartsIsRefused() {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(ChatMessage.self, from: Data(#"{"role": "user", "content": 5}"#.utf8))
        }
    }
}
