"""The API's statuses as a client sees them: the middleware over a downstream app that answers
as Gradio does (a 500 whose JSON names the error's title)."""

from __future__ import annotations

import asyncio
import json

import pytest

from ui.http import BAD_REQUEST, TOO_SLOW, BadRequestStatus


def status_for(title: str, path: str = "/gradio_api/run/search") -> int:
    async def gradio(scope, receive, send):  # what Gradio sends for an API function's exception
        body = json.dumps({"error": "one line", "title": title}).encode()
        await send({"type": "http.response.start", "status": 500, "headers": []})
        await send({"type": "http.response.body", "body": body})

    sent = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {"type": "http", "path": path, "method": "POST", "headers": []}
    asyncio.run(BadRequestStatus(gradio)(scope, receive, send))
    return sent[0]["status"]


@pytest.mark.parametrize(("title", "status"), [(BAD_REQUEST, 400), (TOO_SLOW, 503), ("Index problem", 500)])
def test_a_spent_time_budget_is_503_a_mistake_400_our_fault_500(title, status):
    assert status_for(title) == status
