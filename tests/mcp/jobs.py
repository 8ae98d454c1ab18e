"""The long MCP tools with the official Python `mcp` client over streamable HTTP (tests/mcp.rs).

usage: jobs.py URL CONFIG_JSON
CONFIG_JSON: {"bob": TOKEN, "carol": TOKEN, "admin": TOKEN, "video": PATH, "export": PATH,
              "long_video": PATH, "long_export": PATH, "outside": PATH, "repo": "owner/name"}

As bob (DL-user): build_dataset, then job_status(wait_secs) with a progress callback until the
job ends; the dataset's resources (list, card, metadata.csv); ingest_lesson from a root, from
outside the roots and from a host not allowed; transcribe and agreement_report on that lesson;
a second build cancelled with cancel_job and followed to its end; scan_storage refused.
As carol: bob's resources refused and not listed. As admin: scan_storage and publish_dataset.
Prints one JSON object with every result.
"""

import asyncio
import json
import sys
import time

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client


def result(r):
    return {"isError": bool(r.is_error), "structured": r.structured_content}


def connect(url, token):
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=300)
    return Client(streamable_http_client(url, http_client=http))


async def follow(client, job_id, seconds=240):
    seen = []

    async def progress(p, total, message):
        seen.append({"progress": p, "total": total, "message": message})

    r = await client.call_tool(
        "job_status", {"job_id": job_id, "wait_secs": seconds}, progress_callback=progress
    )
    return {"final": result(r), "progress": seen}


async def as_bob(url, cfg):
    out = {}
    async with connect(url, cfg["bob"]) as c:
        tools = await c.list_tools()
        out["tools"] = [
            {"name": t.name, "inputSchema": t.input_schema, "outputSchema": t.output_schema}
            for t in tools.tools
        ]
        started = time.monotonic()
        b = result(await c.call_tool("build_dataset", {"video": cfg["video"], "export": cfg["export"]}))
        out["build_answer_s"] = time.monotonic() - started
        out["build"] = b
        job = (b["structured"] or {}).get("job") or {}
        out["followed"] = await follow(c, job["id"])
        again = result(await c.call_tool("build_dataset", {"video": cfg["video"], "export": cfg["export"]}))
        out["build_again"] = again
        res = await c.list_resources(cache_mode="bypass")
        out["resources"] = [str(r.uri) for r in res.resources]
        templates = await c.list_resource_templates(cache_mode="bypass")
        out["templates"] = [t.uri_template for t in templates.resource_templates]
        card = await c.read_resource("ppi://datasets/bob/default/card", cache_mode="bypass")
        out["card"] = card.contents[0].text
        csv = await c.read_resource("ppi://datasets/bob/default/metadata.csv", cache_mode="bypass")
        out["csv"] = csv.contents[0].text
        out["csv_mime"] = csv.contents[0].mime_type

        ing = result(await c.call_tool("ingest_lesson", {"path": cfg["video"], "title": "From the root"}))
        out["ingest"] = ing
        out["ingest_outside"] = result(await c.call_tool("ingest_lesson", {"path": cfg["outside"]}))
        out["ingest_host"] = result(
            await c.call_tool("ingest_lesson", {"url": "http://example.invalid/lesson.mp4"})
        )
        out["ingest_both"] = result(await c.call_tool("ingest_lesson", {}))
        lesson = ((ing["structured"] or {}).get("lesson") or {}).get("id")
        if lesson:
            t = result(await c.call_tool("transcribe", {"lesson_id": lesson}))
            out["transcribe"] = t
            tj = ((t["structured"] or {}).get("job") or {}).get("id")
            if tj:
                out["transcribe_cancel"] = result(await c.call_tool("cancel_job", {"job_id": tj}))
            out["agreement"] = result(await c.call_tool("agreement_report", {"lesson_id": lesson}))
            try:
                await c.read_resource(f"ppi://lessons/{lesson}/transcript", cache_mode="bypass")
                out["transcript_error"] = None
            except Exception as e:  # not transcribed: a resource error
                out["transcript_error"] = str(e)
            try:
                await c.read_resource(f"ppi://lessons/{lesson}/turns", cache_mode="bypass")
                out["turns_error"] = None
            except Exception as e:
                out["turns_error"] = str(e)
            try:
                await c.read_resource(f"ppi://lessons/{lesson}/activity", cache_mode="bypass")
                out["activity_error"] = None
            except Exception as e:
                out["activity_error"] = str(e)

        long = result(
            await c.call_tool(
                "build_dataset",
                {"video": cfg["long_video"], "export": cfg["long_export"], "dataset": "canceled"},
            )
        )
        lj = ((long["structured"] or {}).get("job") or {}).get("id")
        # Cancel once it runs.
        for _ in range(600):
            before = result(await c.call_tool("job_status", {"job_id": lj}))
            st = before["structured"] or {}
            if st.get("status") != "queued":
                break
            await asyncio.sleep(0.05)
        out["cancel_state"] = {"status": st.get("status"), "percent": st.get("percent")}
        out["cancel"] = result(await c.call_tool("cancel_job", {"job_id": lj}))
        out["canceled"] = await follow(c, lj, 120)
        out["scan_bob"] = result(await c.call_tool("scan_storage", {}))
        out["publish_bob"] = result(await c.call_tool("publish_dataset", {"dataset": "default"}))
    return out


async def as_carol(url, cfg):
    out = {}
    async with connect(url, cfg["carol"]) as c:
        res = await c.list_resources(cache_mode="bypass")
        out["resources"] = [str(r.uri) for r in res.resources]
        try:
            await c.read_resource("ppi://datasets/bob/default/card", cache_mode="bypass")
            out["read_error"] = None
        except Exception as e:
            out["read_error"] = str(e)
        out["build_into_bob"] = result(
            await c.call_tool(
                "build_dataset",
                {"video": cfg["video"], "export": cfg["export"], "dataset": "bob/default"},
            )
        )
    return out


async def as_admin(url, cfg):
    out = {}
    async with connect(url, cfg["admin"]) as c:
        out["scan"] = result(await c.call_tool("scan_storage", {}))
        p = result(await c.call_tool("publish_dataset", {"dataset": "bob/default", "repo": cfg["repo"]}))
        out["publish"] = p
        job = ((p["structured"] or {}).get("job") or {}).get("id")
        if job:
            out["published"] = await follow(c, job, 120)
        res = await c.list_resources(cache_mode="bypass")
        out["resources"] = [str(r.uri) for r in res.resources]
    return out


async def main():
    url, cfg = sys.argv[1], json.loads(sys.argv[2])
    out = {"bob": await as_bob(url, cfg), "carol": await as_carol(url, cfg), "admin": await as_admin(url, cfg)}
    print(json.dumps(out))


asyncio.run(main())
