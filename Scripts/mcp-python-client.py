"""A third-party MCP client against story-server: the Python `mcp` SDK (PyPI), over Streamable HTTP and stdio.

Run by Scripts/mcp-python-check.sh, which starts the server. What an agent does: list the tools, get tool errors
that name bad arguments, make a short offline story, poll it to succeeded, read its manifest and video as resources;
over HTTP, a second token sees none of it. Exits non-zero with the reason on the first thing that is wrong.

    python mcp-python-client.py http URL TOKEN OTHER_TOKEN
    python mcp-python-client.py stdio STORY_SERVER STORE
"""

import asyncio
import base64
import hashlib
import json
import sys
import time

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client

# A 5-second story at a small size with no upscaling: the check is about the protocol, not the video.
SHORT_STORY = {
    "story": {"target_seconds": 5},
    "render": {"aspect": "256x456"},
    "pipeline": {"stages": {"upscale": {"enabled": False}}},
}
TOOLS = {"create_story_video", "get_story_status", "list_stories", "cancel_story"}


def check(condition, message):
    if not condition:
        raise SystemExit(f"FAIL: {message}")


def text(result):
    return "".join(item.text for item in result.content if getattr(item, "type", "") == "text")


async def tool_error(session, name, arguments):
    result = await session.call_tool(name, arguments)
    check(result.is_error, f"{name} {arguments} succeeded: {text(result)}")
    return text(result)


async def scenario(session):
    """The agent's run; the finished story's id."""
    await session.initialize()
    tools = (await session.list_tools()).tools
    check({tool.name for tool in tools} == TOOLS, f"tools: {[tool.name for tool in tools]}")
    for tool in tools:
        check(tool.input_schema.get("additionalProperties") is False, f"{tool.name}: open schema")

    message = await tool_error(session, "create_story_video", {"topic": "owls", "lenght": 30})
    check("unknown argument `lenght`" in message, message)
    message = await tool_error(session, "create_story_video", {"topic": 7})
    check(message == "invalid_request: argument `topic` must be a string, not a number", message)
    message = await tool_error(session, "list_stories", {"limit": 0})
    check(message == "invalid_request: argument `limit` must be 1...100, not 0", message)

    created = await session.call_tool(
        "create_story_video", {"topic": "a clockmaker's apprentice", "seed": 9, "config": SHORT_STORY}
    )
    check(not created.is_error, text(created))
    answer = json.loads(text(created))
    story = answer["id"]
    check(answer["status_url"].endswith(f"/v1/stories/{story}"), f"{answer}")

    deadline = time.monotonic() + 300
    status = {}
    while time.monotonic() < deadline:
        status = json.loads(text(await session.call_tool("get_story_status", {"id": story})))
        if status["status"] in ("succeeded", "failed", "cancelled"):
            break
        await asyncio.sleep(0.5)
    check(status.get("status") == "succeeded", f"story {story}: {status}")
    hashes = {file["name"]: file["sha256"] for file in status["files"]}

    uris = {str(resource.uri) for resource in (await session.list_resources()).resources}
    manifest_uri = f"storyforge://stories/{story}/manifest.json"
    video_uri = f"storyforge://stories/{story}/video.mp4"
    check(manifest_uri in uris and video_uri in uris, f"resources: {sorted(uris)}")
    manifest = (await session.read_resource(manifest_uri)).contents[0]
    check(manifest.mime_type == "application/json", f"manifest type {manifest.mime_type}")
    files = {entry["path"]: entry for entry in json.loads(manifest.text)["files"]}
    video = (await session.read_resource(video_uri)).contents[0]
    data = base64.b64decode(video.blob)
    check(hashlib.sha256(data).hexdigest() == files["video.mp4"]["sha256"] == hashes["video.mp4"], "video hash")
    return story


async def over_http(url, token, other):
    def client(bearer):
        return create_mcp_http_client(headers={"Authorization": f"Bearer {bearer}"})

    async with streamable_http_client(url, http_client=client(token)) as (read, write):
        async with ClientSession(read, write) as session:
            story = await scenario(session)
    async with streamable_http_client(url, http_client=client(other)) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            message = await tool_error(session, "get_story_status", {"id": story})
            check(message.startswith("not_found:"), f"another token sees the story: {message}")
            try:
                await session.read_resource(f"storyforge://stories/{story}/manifest.json")
                raise SystemExit("FAIL: another token reads the story's manifest")
            except SystemExit:
                raise
            except Exception:  # the SDK raises McpError for the JSON-RPC error
                pass
            check(not (await session.list_resources()).resources, "another token lists the story's files")
    print(f"ok: Python mcp client over Streamable HTTP made story {story}; another token sees none of it")


async def over_stdio(executable, store):
    parameters = StdioServerParameters(command=executable, args=["mcp", "--store", store])
    async with stdio_client(parameters) as (read, write):
        async with ClientSession(read, write) as session:
            story = await scenario(session)
    print(f"ok: Python mcp client over stdio made story {story}")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "http":
        asyncio.run(over_http(sys.argv[2], sys.argv[3], sys.argv[4]))
    elif len(sys.argv) == 4 and sys.argv[1] == "stdio":
        asyncio.run(over_stdio(sys.argv[2], sys.argv[3]))
    else:
        raise SystemExit(__doc__)
