"""A time budget per question: the stages check it between them, so a question that is slow
(a long pasted text, a loaded machine, a shard set's slow shards) gives its worker back with
one clear error instead of holding it.

The budget (``QA_QUESTION_SECONDS``, 10 s by default) starts with the question
(:func:`budget`) and covers its follow-up rewrites too; :func:`check` raises
:class:`qa.errors.QuestionTimeoutError` naming the stage it was reached at. A stage itself is
never cut in the middle (each is bounded: at most 20,000 characters of question, a fixed number
of candidates and reader windows).
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Iterator
from contextlib import contextmanager

from qa.errors import QuestionTimeoutError

_deadline: contextvars.ContextVar[tuple[float, float] | None] = contextvars.ContextVar("question_budget",
                                                                                         default=None)


@contextmanager
def budget(seconds: float) -> Iterator[None]:
    """The question's budget, from now; a budget already running (a follow-up's rewrite) is kept."""
    if _deadline.get() is not None:
        yield
        return
    token = _deadline.set((time.monotonic() + seconds, seconds))
    try:
        yield
    finally:
        _deadline.reset(token)


def check(stage: str) -> None:
    """Raise when the question's budget is spent (before ``stage``)."""
    running = _deadline.get()
    if running is not None and time.monotonic() > running[0]:
        raise QuestionTimeoutError(f"the question took longer than its {running[1]:g} s budget (stopped before "
                                   f"{stage}): ask again when the server is less busy, ask a shorter question, or "
                                   "raise QA_QUESTION_SECONDS")
