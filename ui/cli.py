"""``qa serve``: registered with the ``qa`` command through an entry point.

This module stays light: gradio is imported only when the command runs.
"""

from __future__ import annotations

import logging
import os

import click

from qa.cli import settings_options
from qa.retriever import Index
from ui.security import auth_from_env, check_exposure

log = logging.getLogger(__name__)


@click.command()
@click.option("--host", default=None, help="Address to bind [env QA_HOST; default 127.0.0.1].")
@click.option("--port", type=int, default=None, help="Port [env QA_PORT; default 7860].")
@click.option("--share", is_flag=True, help="Also serve through a public Gradio link (needs QA_AUTH).")
@settings_options
def serve(host: str | None, port: int | None, share: bool, settings) -> None:
    """Serve the chat UI in the browser (127.0.0.1 unless told otherwise)."""
    settings = settings.replace(host=host, port=port)
    auth = auth_from_env()
    check_exposure(settings.host, share, auth)  # before anything slow
    index = Index.open(settings=settings)  # load the model before gradio imports huggingface_hub
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # read when gradio is imported

    from starlette.middleware import Middleware

    from ui.app import build_app
    from ui.cards import CSS, HEAD
    from ui.http import BadRequestStatus

    app = build_app(index)
    click.echo(f"serving {index.path} on http://{settings.host}:{settings.port} (Ctrl+C to stop)")
    app.launch(server_name=settings.host, server_port=settings.port, share=share, css=CSS, head=HEAD,
               auth=auth or None, show_error=True, footer_links=["api"], quiet=True,
               max_file_size=f"{settings.max_file_mb}mb", app_kwargs={"middleware": [Middleware(BadRequestStatus)]})
