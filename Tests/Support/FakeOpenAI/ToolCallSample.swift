extension FakeOpenAIServer.Behaviour {
    /// An answer that calls a tool, with the fields memgrid does not model and must pass
    /// on unchanged: `reasoning_content` (DeepSeek), `refusal`, `tool_calls`, `logprobs`,
    /// `system_fingerprint` and usage details. Model `fake-chat`.
    public static let toolCall = Self.raw(body: ToolCallSample.completion, events: ToolCallSample.chunks)
}

public enum ToolCallSample {
    public static let completion = #"""
        {"id": "chatcmpl-tool-1", "object": "chat.completion", "created": 1733500000, "model": "fake-chat",
         "system_fingerprint": "fp_fake",
         "choices": [{"index": 0, "logprobs": null, "finish_reason": "tool_calls",
                      "message": {"role": "assistant", "content": null, "refusal": null,
                                  "reasoning_content": "The user wants the weather: call the tool.",
                                  "tool_calls": [{"id": "call_1", "type": "function",
                                                  "function": {"name": "get_weather", "arguments": "{\"city\": \"Lyon\"}"}}]}}],
         "usage": {"prompt_tokens": 50, "completion_tokens": 10, "total_tokens": 60,
                   "prompt_tokens_details": {"cached_tokens": 0}, "completion_tokens_details": {"reasoning_tokens": 7}}}
        """#

    public static let chunks = [
        #"{"id": "chatcmpl-tool-2", "object": "chat.completion.chunk", "created": 1733500000, "model": "fake-chat", "system_fingerprint": "fp_fake", "choices": [{"index": 0, "delta": {"role": "assistant", "content": null, "reasoning_content": "Call the tool."}, "logprobs": null, "finish_reason": null}]}"#,
        #"{"id": "chatcmpl-tool-2", "object": "chat.completion.chunk", "created": 1733500000, "model": "fake-chat", "system_fingerprint": "fp_fake", "choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "call_2", "type": "function", "function": {"name": "get_weather", "arguments": ""}}]}, "logprobs": null, "finish_reason": null}]}"#,
        #"{"id": "chatcmpl-tool-2", "object": "chat.completion.chunk", "created": 1733500000, "model": "fake-chat", "system_fingerprint": "fp_fake", "choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": "{\"city\": \"Lyon\"}"}}]}, "logprobs": null, "finish_reason": null}]}"#,
        #"{"id": "chatcmpl-tool-2", "object": "chat.completion.chunk", "created": 1733500000, "model": "fake-chat", "system_fingerprint": "fp_fake", "choices": [{"index": 0, "delta": {}, "logprobs": null, "finish_reason": "tool_calls"}]}"#,
        #"{"id": "chatcmpl-tool-2", "object": "chat.completion.chunk", "created": 1733500000, "model": "fake-chat", "system_fingerprint": "fp_fake", "choices": [], "usage": {"prompt_tokens": 50, "completion_tokens": 10, "total_tokens": 60, "completion_tokens_details": {"reasoning_tokens": 7}}}"#,
    ]
}
