"""`qa serve --mcp`: an MCP client (the mcp package's) calls the search tool; QA_AUTH guards it."""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from tests.conftest import DEMO
from tests.serving import QA, served

pytestmark = pytest.mark.skipif(importlib.util.find_spec("mcp") is None,
                                reason="the mcp package is not installed: pip install -e '.[mcp]' (test install)")


async def _search(url: str, auth: str | None, question: str) -> tuple[list, dict]:
    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client

    headers = {"Authorization": "Basic " + base64.b64encode(auth.encode()).decode()} if auth else None
    async with streamablehttp_client(url, headers=headers) as (read, write, _):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = (await session.list_tools()).tools
            result = await session.call_tool("search", {"question": question, "k": 2})
    return tools, result


def status(url: str, auth: str | None) -> int:
    """The HTTP status of an MCP initialize request."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}).encode()
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(auth.encode()).decode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers), timeout=30) as reply:
            return reply.status
    except urllib.error.HTTPError as exc:
        return exc.code


def call(url: str, question: str, auth: str | None = None):
    return asyncio.run(_search(url + "gradio_api/mcp/", auth, question))


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    index = tmp_path_factory.mktemp("mcp") / "index"
    subprocess.run([QA, "ingest", "-q", "--index-dir", str(index), str(DEMO)], check=True, capture_output=True)
    return index


@pytest.mark.model
def test_an_mcp_client_searches_the_archive(demo_dir, tmp_path):
    env = {**os.environ, "QA_INDEX_DIR": str(demo_dir)}
    with served(env, tmp_path / "serve.log", "--mcp") as url:
        tools, result = call(url, "who holds Tal Rifaat?")
    (tool,) = tools
    assert tool.name == "search" and "news articles" in tool.description
    assert set(tool.inputSchema["properties"]) >= {"question", "k", "since", "until", "sources", "order"}
    text = result.content[0].text
    assert not result.isError and "Turkey-backed fighters take Tal Rifaat" in text and "'answered': True" in text
    assert "'cited': 1" in text and re.search(r"'answer': '[^']*Turkey", text)  # the short answer leads


@pytest.mark.model
def test_mcp_needs_the_chats_credentials_when_it_has_them(demo_dir, tmp_path):
    env = {**os.environ, "QA_INDEX_DIR": str(demo_dir), "QA_AUTH": "rédacteur:s3crèt"}  # RFC 7617: UTF-8
    with served(env, tmp_path / "serve.log", "--mcp") as url:
        deadline = time.monotonic() + 30  # the MCP client logs in just after the server starts answering
        while "MCP tool calls run as" not in (tmp_path / "serve.log").read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        for auth in (None, "rédacteur:wrong", "rédacteur", "s3crèt:rédacteur", "redacteur:s3cret"):
            assert status(url + "gradio_api/mcp/", auth) == 401, auth
        assert status(url + "gradio_api/mcp/", "rédacteur:s3crèt") == 200
        _, result = call(url, "who holds Tal Rifaat?", auth="rédacteur:s3crèt")
    assert "Tal Rifaat" in result.content[0].text


def test_mcp_on_an_open_bind_without_credentials_is_refused(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "QA_AUTH"}
    run = subprocess.run([QA, "serve", "--mcp", "--host", "0.0.0.0", "--index-dir", str(tmp_path / "i")], env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1 and "refusing to serve on 0.0.0.0" in run.stderr and "QA_AUTH" in run.stderr
