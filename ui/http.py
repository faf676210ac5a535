"""HTTP statuses of the API: a caller's mistake is a 400 with a one-line message, not a 500.

Gradio answers every exception of an API function with HTTP 500. Handlers raise
:func:`user_error` for bad input (a ``gr.Error`` with its own title, which Gradio logs
without a traceback); this middleware gives those answers status 400. Anything else
stays a 500: that one is ours to fix.
"""

from __future__ import annotations

import html
import json

import gradio as gr

BAD_REQUEST = "Bad request"
_API_PREFIXES = ("/gradio_api/run/", "/gradio_api/api/")


def user_error(exc: Exception) -> gr.Error:
    """The ``gr.Error`` for a user's mistake: one line, HTML-escaped (the page renders it)."""
    message = " ".join(str(exc).split())
    return gr.Error(html.escape(message, quote=False), title=BAD_REQUEST, print_exception=False)


class BadRequestStatus:
    """ASGI middleware: a 500 whose body is a :func:`user_error` becomes a 400."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith(_API_PREFIXES):
            await self.app(scope, receive, send)
            return
        held: list[dict] = []

        async def hold(message):
            if message["type"] == "http.response.start" and message["status"] == 500:
                held.append(message)
                return
            if held and message["type"] == "http.response.body":
                held.append(message)
                if message.get("more_body"):
                    return
                await _release(held, send)
                held.clear()
                return
            await send(message)

        await self.app(scope, receive, hold)


async def _release(held: list[dict], send) -> None:
    start, bodies = held[0], held[1:]
    body = b"".join(m.get("body", b"") for m in bodies)
    try:
        title = json.loads(body).get("title")
    except (ValueError, AttributeError):
        title = None
    if title == BAD_REQUEST:
        start = {**start, "status": 400}
    await send(start)
    await send({"type": "http.response.body", "body": body})
