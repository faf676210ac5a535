"""``POST /api/search``: the search tool as one plain JSON request, beside Gradio's API.

Gradio's ``/gradio_api/call/search`` takes two requests (the call, then its event stream)
and a queue: ~30 ms of the server's CPU each, a third of a question's own cost
(docs/performance.md). Here one request carries the question's fields by name and gets the
answer's JSON back (``Answer.to_dict()``, the same as ``/search``'s), answered on a worker
thread among ``QA_CONCURRENCY`` at a time. It sits in the ASGI stack as a middleware, behind
the Host check; with ``QA_AUTH`` it needs the same credentials (HTTP Basic), as MCP does.

    curl -s http://127.0.0.1:7860/api/search -H 'Content-Type: application/json' \\
         -d '{"question": "who holds Tal Rifaat?", "k": 3}'

Statuses: 200 with the answer; 400 for a mistake in the call (one line, naming the field);
401 without the credentials QA_AUTH asks for; 405 for a method other than POST; 413 past
1 MB; 503 when the question spent its time budget; 500 for a fault of the index (logged).
"""

from __future__ import annotations

import json
import logging

import anyio

from qa import QAError, QuestionTimeoutError
from ui.http import json_reply as _reply
from ui.http import read_body

log = logging.getLogger(__name__)

PATH = "/api/search"
MAX_BODY = 1_000_000
FIELDS = {"question": str, "k": (int, type(None)), "since": (str, type(None)), "until": (str, type(None)),
          "sources": (list, type(None)), "order": (str, type(None)), "as_of": (str, type(None))}


class RestSearch:
    """ASGI middleware answering ``POST /api/search`` with ``index.ask``; everything else passes."""

    def __init__(self, app, index, concurrency: int, allowed=None):
        self.app, self.index = app, index
        self.limiter = anyio.CapacityLimiter(concurrency)
        self.allowed = allowed  # scope -> bool (QA_AUTH's Basic credentials), or None: open

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"].rstrip("/") != PATH:
            await self.app(scope, receive, send)
            return
        if self.allowed is not None and not self.allowed(scope):
            await _reply(send, 401, {"error": "send Authorization: Basic base64(user:password) of QA_AUTH"},
                         [(b"www-authenticate", b'Basic realm="article-qa"')])
            return
        if scope["method"] != "POST":
            await _reply(send, 405, {"error": f"{PATH} takes POST with a JSON body"}, [(b"allow", b"POST")])
            return
        body = await read_body(receive, MAX_BODY)
        if body is None:
            await _reply(send, 413, {"error": f"the request is over {MAX_BODY:,} bytes"})
            return
        try:
            options = _options(body)
        except ValueError as exc:
            await _reply(send, 400, {"error": str(exc)})
            return
        try:
            answer = await anyio.to_thread.run_sync(lambda: self.index.ask(**options), limiter=self.limiter)
        except QuestionTimeoutError as exc:
            await _reply(send, 503, {"error": " ".join(str(exc).split())})
            return
        except QAError as exc:
            message = " ".join(str(exc).split())
            if isinstance(exc, ValueError):  # the question or an option: the caller's to fix
                await _reply(send, 400, {"error": message})
                return
            log.error("%s", message)
            await _reply(send, 500, {"error": message})
            return
        await _reply(send, 200, answer.to_dict())


def _options(body: bytes) -> dict:
    """The call's fields as ``Index.ask``'s arguments; ValueError naming what is wrong."""
    try:
        call = json.loads(body)
    except ValueError as exc:
        raise ValueError(f"the body is not JSON ({exc}): send {{\"question\": \"...\", \"k\": 5}}") from None
    if not isinstance(call, dict) or "question" not in call:
        raise ValueError('the body must be a JSON object with a "question" (and k, since, until, sources, '
                         "order, as_of if wanted)")
    unknown = sorted(set(call) - set(FIELDS))
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)}: use {', '.join(FIELDS)}")
    for name, kinds in FIELDS.items():
        if name in call and (not isinstance(call[name], kinds) or isinstance(call[name], bool)):
            raise ValueError(f"{name} has the wrong type ({type(call[name]).__name__})")
    return {"question": call["question"], "k": call.get("k"), "since": call.get("since") or None,
            "until": call.get("until") or None, "sources": call.get("sources") or None,
            "order_by": call.get("order") or "relevance", "as_of": call.get("as_of") or None}
