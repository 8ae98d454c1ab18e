"""Drives PPI's MCP server with the official Python `mcp` client (tests/mcp.rs).

usage: client.py http URL TOKEN LESSON_ID OTHER_LESSON_ID [VIDEO EXPORT]
       client.py stdio PPI_BINARY TOKEN LESSON_ID OTHER_LESSON_ID [VIDEO EXPORT]
       (stdio env: PPI_DATA_DIR, PPI_MCP_ROOTS, ...)

Prints one JSON object: the tool list (names, input schemas, annotations) and the structured
results of list_lessons, lesson_status (own and another user's lesson), job_status and
cancel_job on the lesson's job, and of a call without arguments that the schema requires.
With VIDEO and EXPORT: build_dataset, followed with job_status(wait_secs) and a progress
callback to its end.
"""

import asyncio
import json
import os
import sys

import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client


def result(r):
    return {"isError": bool(r.is_error), "structured": r.structured_content}


async def drive(client, lesson, other, build=None):
    out = {}
    tools = await client.list_tools()
    out["tools"] = [
        {
            "name": t.name,
            "inputSchema": t.input_schema,
            "annotations": t.annotations.model_dump(exclude_none=True, by_alias=True) if t.annotations else None,
            "description": t.description,
        }
        for t in tools.tools
    ]
    out["list"] = result(await client.call_tool("list_lessons", {}))
    out["status"] = result(await client.call_tool("lesson_status", {"lesson_id": lesson}))
    out["other"] = result(await client.call_tool("lesson_status", {"lesson_id": other}))
    job = (out["status"]["structured"] or {}).get("job") or {}
    if job.get("id"):
        out["job"] = result(await client.call_tool("job_status", {"job_id": job["id"]}))
        out["cancel"] = result(await client.call_tool("cancel_job", {"job_id": job["id"]}))
    out["unknown_job"] = result(await client.call_tool("job_status", {"job_id": "01jzzzzzzzzzzzzzzzzzzzzzzz"}))
    if build:
        b = result(await client.call_tool("build_dataset", {"video": build[0], "export": build[1]}))
        out["build"] = b
        seen = []

        async def progress(p, total, message):
            seen.append(p)

        job = ((b["structured"] or {}).get("job") or {}).get("id")
        r = await client.call_tool("job_status", {"job_id": job, "wait_secs": 240}, progress_callback=progress)
        out["built"] = result(r)
        out["progress"] = seen
    return out


async def main():
    mode, target, token, lesson, other = sys.argv[1:6]
    build = sys.argv[6:8] if len(sys.argv) >= 8 else None
    if mode == "http":
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60)
        async with Client(streamable_http_client(target, http_client=http)) as client:
            out = await drive(client, lesson, other, build)
    else:
        env = {k: v for k, v in os.environ.items() if k.startswith(("PPI_", "HF_", "AWS_"))}
        env["PPI_TOKEN"] = token
        params = StdioServerParameters(command=target, args=["mcp"], env=env)
        async with Client(params) as client:
            out = await drive(client, lesson, other, build)
    print(json.dumps(out))


asyncio.run(main())
