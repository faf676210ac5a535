"""HTTP statuses of the API: a caller's mistake is a 400 with a one-line message, not a 500.

Gradio answers every exception of an API function with HTTP 500. Handlers raise
:func:`user_error` for bad input (a ``gr.Error`` with its own title, which Gradio logs
without a traceback); :class:`BadRequestStatus` gives those answers status 400, a question
that spent its time budget 503, and a call Gradio cannot even map to the function's
parameters (``/call/v2/search`` with unknown keys) 400 instead of a traceback.
:class:`SearchArguments` lets ``/search`` be called with its leading values only (the
question alone; the rest take their defaults) and refuses more values than it takes.
Anything else stays a 500: that one is ours to fix.
"""

from __future__ import annotations

import html
import json

import gradio as gr

BAD_REQUEST = "Bad request"
TOO_SLOW = "Took too long"
_API_PREFIXES = ("/gradio_api/run/", "/gradio_api/api/", "/gradio_api/call/")
SEARCH_PATHS = ("/gradio_api/run/search", "/gradio_api/call/search")
# /search's values after the question, as the handler's defaults (ui/handlers.py Chat.search)
SEARCH_DEFAULTS = [None, "", "", [], "relevance"]
SEARCH_NAMES = "question, k, since, until, sources, order"
MAX_BODY = 1_000_000  # bytes of a /search call (a question is at most 20,000 characters)


def user_error(exc: Exception) -> gr.Error:
    """The ``gr.Error`` for a user's mistake: one line, HTML-escaped (the page renders it)."""
    message = " ".join(str(exc).split())
    return gr.Error(html.escape(message, quote=False), title=BAD_REQUEST, print_exception=False)


def too_slow(exc: Exception) -> gr.Error:
    """The ``gr.Error`` for a question that spent its time budget (HTTP 503)."""
    return gr.Error(html.escape(" ".join(str(exc).split()), quote=False), title=TOO_SLOW, print_exception=False)


async def json_reply(send, status: int, payload: dict, headers: list | None = None) -> None:
    """A whole JSON response, sent through an ASGI ``send``."""
    body = json.dumps(payload).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


async def _answer(send, status: int, message: str) -> None:
    await json_reply(send, status, {"error": message, "title": BAD_REQUEST})


async def read_body(receive, limit: int) -> bytes | None:
    """A request's whole body, or None once it is over ``limit`` bytes (read no further)."""
    body, more = b"", True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
        if len(body) > limit:
            return None
    return body


class SearchArguments:
    """ASGI middleware: ``/search`` called with fewer values gets the defaults for the rest;
    more values than it takes, or a body that is not a list of values, is a 400."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"].rstrip("/") not in SEARCH_PATHS:
            await self.app(scope, receive, send)
            return
        body = await read_body(receive, MAX_BODY)
        if body is None:
            await _answer(send, 413, f"the request is over {MAX_BODY:,} bytes: a question is at most 20,000 "
                                     "characters")
            return
        try:
            call = json.loads(body)
            values = call["data"]
        except (ValueError, KeyError, TypeError):
            call, values = None, None
        if isinstance(values, list):
            if not values or len(values) > 1 + len(SEARCH_DEFAULTS):
                await _answer(send, 400, f"/search takes 1 to 6 values ({SEARCH_NAMES}), got {len(values)}")
                return
            call["data"] = values + SEARCH_DEFAULTS[len(values) - 1:]
            body = json.dumps(call).encode()
        headers = [(k, v) for k, v in scope["headers"] if k != b"content-length"]
        scope = {**scope, "headers": [*headers, (b"content-length", str(len(body)).encode())]}
        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


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

        try:
            await self.app(scope, receive, hold)
        except TypeError as exc:  # Gradio could not map the call to the function's parameters
            if not _raised_in(exc, "construct_args"):
                raise
            await _answer(send, 400, " ".join(str(exc).split()).replace("Please click on 'view API' in the footer "
                                                                         "of the Gradio app to see usage.",
                                                                         "See /gradio_api/info for the usage."))


def _raised_in(exc: BaseException, function: str) -> bool:
    trace = exc.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code.co_name == function:
            return True
        trace = trace.tb_next
    return False


async def _release(held: list[dict], send) -> None:
    start, bodies = held[0], held[1:]
    body = b"".join(m.get("body", b"") for m in bodies)
    try:
        title = json.loads(body).get("title")
    except (ValueError, AttributeError):
        title = None
    if title == BAD_REQUEST:
        start = {**start, "status": 400}
    elif title == TOO_SLOW:
        start = {**start, "status": 503}
    await send(start)
    await send({"type": "http.response.body", "body": body})
