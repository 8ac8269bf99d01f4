"""An MCP client (the official Python `mcp` SDK) using memgrid's memory tools, written
from docs/mcp.md only.

Usage: mcp_client.py MCP_URL API_KEY WRONG_KEY

Initializes, lists the tools, memorizes a conversation for user "mia" and finds it
again (retrieve, list_memories, get_memory, list_categories), deletes the memory, sees
a tool error for a bad call, and is refused with a wrong key. Prints "ok <step>" per
step; exits non-zero with the reason on anything docs/mcp.md does not promise.
"""
import asyncio
import json
import sys

import httpx2
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

url, api_key, wrong_key = sys.argv[1:]
TOOLS = {"memorize", "retrieve", "list_memories", "get_memory", "delete_memory", "list_categories"}


def answer(result):
    assert not result.is_error, result
    return json.loads(result.content[0].text)


async def session_for(key, body):
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=httpx2.Timeout(30.0, read=120.0))
    async with http:
        async with streamable_http_client(url, http_client=http) as (read, write):
            async with ClientSession(read, write) as session:
                return await body(session)


async def use(session):
    init = await session.initialize()
    assert init.server_info.name == "memgrid", init
    print("ok initialize", flush=True)

    tools = {tool.name: tool for tool in (await session.list_tools()).tools}
    assert set(tools) == TOOLS, tools.keys()
    assert tools["retrieve"].input_schema["required"] == ["user_id", "query"], tools["retrieve"].input_schema
    print("ok list tools", flush=True)

    job = answer(await session.call_tool("memorize", {
        "user_id": "mia", "messages": [{"role": "user", "content": "I live in Lyon."}], "wait_seconds": 60}))
    assert job["status"] == "succeeded", job
    created = job["result"]["created"]
    assert len(created) == 1, job
    print("ok memorize", flush=True)

    context = answer(await session.call_tool("retrieve", {"user_id": "mia", "query": "Where does Mia live?", "format": "context"}))
    assert "Lives in Lyon" in context["text"], context
    hits = answer(await session.call_tool("retrieve", {"user_id": "mia", "query": "Where does Mia live?"}))
    assert any(hit.get("text") == "Lives in Lyon" for hit in hits["data"]), hits
    print("ok retrieve", flush=True)

    listed = answer(await session.call_tool("list_memories", {"user_id": "mia", "limit": 10}))
    assert [memory["id"] for memory in listed["data"]] == created, listed
    memory = answer(await session.call_tool("get_memory", {"id": created[0]}))
    assert memory["text"] == "Lives in Lyon", memory
    categories = answer(await session.call_tool("list_categories", {"user_id": "mia"}))
    assert "data" in categories, categories
    answer(await session.call_tool("delete_memory", {"id": created[0]}))
    gone = await session.call_tool("get_memory", {"id": created[0]})
    assert gone.is_error and "memory_not_found" in gone.content[0].text, gone
    print("ok list get delete", flush=True)

    bad = await session.call_tool("retrieve", {"user_id": "mia"})
    assert bad.is_error and "query" in bad.content[0].text, bad
    print("ok tool error", flush=True)


async def main():
    await session_for(api_key, use)
    try:
        await session_for(wrong_key, lambda session: session.initialize())
    except BaseException as error:  # the SDK raises inside a task group
        print(f"ok wrong key refused ({type(error).__name__})", flush=True)
    else:
        sys.exit("a wrong key was accepted")


asyncio.run(main())
