"""An agent using memgrid's chat completions through the official OpenAI Python SDK,
written from docs/api.md only: a tool round trip, whole and streamed.

Usage: openai_tools_client.py BASE_URL API_KEY

The gateway's model `fake-chat` is served by the tests' fake provider, which calls the
`get_weather` tool when the user's message contains "TOOLCALL" and answers plainly once
the tool's result comes back. Prints "ok tools whole" and "ok tools streamed"; exits
non-zero (with the reason) on anything the docs do not promise.
"""
import json
import sys

from openai import OpenAI

base_url, api_key = sys.argv[1:]
client = OpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=30)
tools = [{
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}]
question = {"role": "user", "content": "TOOLCALL: what is the weather in Lyon?"}


def answer_tool(call):
    assert call.type == "function" and call.function.name == "get_weather", call
    assert json.loads(call.function.arguments) == {"city": "Lyon"}, call.function.arguments
    return {"role": "tool", "tool_call_id": call.id, "content": json.dumps({"temperature_c": 21})}


# Whole: the answer's tool call, then the tool's result sent back.
first = client.chat.completions.create(
    model="fake-chat", messages=[question], tools=tools, tool_choice="auto", parallel_tool_calls=False,
    extra_body={"thinking": {"type": "enabled"}})
choice = first.choices[0]
assert choice.finish_reason == "tool_calls", choice
assert choice.message.content is None, choice.message
assert choice.message.model_extra.get("reasoning_content"), "reasoning_content was dropped"
assert first.usage.completion_tokens_details.reasoning_tokens == 7, first.usage
call = choice.message.tool_calls[0]
second = client.chat.completions.create(
    model="fake-chat", tools=tools,
    messages=[question, choice.message.model_dump(exclude_none=True), answer_tool(call)])
assert second.choices[0].message.content == "It is sunny in Lyon.", second
print("ok tools whole", flush=True)

# Streamed: the tool call assembled from its deltas, usage on the last chunk.
calls = {}
usage = None
finish = None
stream = client.chat.completions.create(
    model="fake-chat", messages=[question], tools=tools, stream=True, stream_options={"include_usage": True})
for chunk in stream:
    if chunk.usage:
        usage = chunk.usage
    for part in chunk.choices:
        finish = part.finish_reason or finish
        for delta in part.delta.tool_calls or []:
            entry = calls.setdefault(delta.index, {"id": None, "name": "", "arguments": ""})
            entry["id"] = delta.id or entry["id"]
            if delta.function:
                entry["name"] += delta.function.name or ""
                entry["arguments"] += delta.function.arguments or ""
assert finish == "tool_calls", finish
assert usage is not None and usage.prompt_tokens == 50, usage
assert calls[0]["name"] == "get_weather" and json.loads(calls[0]["arguments"]) == {"city": "Lyon"}, calls
print("ok tools streamed", flush=True)
