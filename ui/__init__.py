"""The Gradio web chat over a loaded :class:`qa.Index`: ``build_app(index)`` makes it;
``qa serve`` (ui/cli.py, registered as a ``qa`` command) serves it. Gradio is imported only
when ``build_app`` is first used, so ``qa`` starts fast."""

import importlib

_WHERE = {"build_app": "ui.app"}


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'ui' has no attribute {name!r}")


__all__ = ["build_app"]
