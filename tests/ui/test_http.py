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


def call(app, method: str, path: str, body: bytes = b"", headers=()) -> tuple[int, dict]:
    """One request through an ASGI app, as a server hands it over."""
    sent, chunks = [], [{"type": "http.request", "body": body, "more_body": False}]

    async def receive():
        return chunks.pop(0) if chunks else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "path": path, "method": method, "headers": list(headers)}
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], json.loads(b"".join(m.get("body", b"") for m in sent[1:]))


def test_api_search_answers_one_json_request_and_names_each_mistake(settings):
    import base64

    from index.ingestion import ingest
    from qa.retriever import Index
    from tests.conftest import DEMO
    from tests.fakes import HashingEmbedder
    from ui.rest import RestSearch
    from ui.security import basic_allowed

    async def gradio(scope, receive, send):  # what the middleware passes everything else to
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b'{"gradio": true}'})

    ingest([DEMO], settings, embedder=HashingEmbedder())
    with Index.open(settings=settings.replace(reader=False), embedder=HashingEmbedder()) as index:
        app = RestSearch(gradio, index, concurrency=2)
        status, answer = call(app, "POST", "/api/search", b'{"question": "hosepipe ban reservoirs", "k": 2}')
        assert status == 200 and len(answer["passages"]) == 2 and answer["passages"][0]["title"].startswith("Hosepipe")
        for body, status, words in ((b'{"question": "x", "k": "2"}', 400, "k has the wrong type (str)"),
                                    (b'{"question": "x", "top": 2}', 400, "unknown field(s) top"),
                                    (b"[1, 2]", 400, 'a JSON object with a "question"'),
                                    (b"{", 400, "the body is not JSON"),
                                    (b'{"question": "*"}', 400, "has no word in it"),
                                    (b'{"question": "x", "since": "May"}', 400, "since: 'May' is not a date")):
            assert call(app, "POST", "/api/search", body)[0] == status
            assert words in call(app, "POST", "/api/search", body)[1]["error"], body
        assert call(app, "GET", "/api/search")[0] == 405
        assert call(app, "POST", "/api/search", b"x" * 1_000_001)[0] == 413
        assert call(app, "GET", "/")[0] == 299  # not ours: passed on
        guarded = RestSearch(gradio, index, 2, allowed=lambda scope: basic_allowed(scope, [("ana", "s3cret")]))
        assert call(guarded, "POST", "/api/search", b'{"question": "museum"}')[0] == 401
        token = base64.b64encode(b"ana:s3cret")
        assert call(guarded, "POST", "/api/search", b'{"question": "museum"}',
                    [(b"authorization", b"Basic " + token)])[0] == 200
