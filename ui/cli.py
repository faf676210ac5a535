"""``qa serve``: registered with the ``qa`` command through an entry point.

This module stays light: gradio is imported only when the command runs.
"""

from __future__ import annotations

import importlib.util
import logging
import os

import click

from qa import Index, SettingsError, is_shard_set, serve_shards, settings_options
from ui.security import auth_from_env, check_exposure

log = logging.getLogger(__name__)


@click.command()
@click.option("--host", default=None, help="Address to bind [env QA_HOST; default 127.0.0.1].")
@click.option("--port", type=int, default=None, help="Port [env QA_PORT; default 7860].")
@click.option("--concurrency", type=int, default=None,
              help="Questions answered at once, chat and /search together [env QA_CONCURRENCY; default 4].")
@click.option("--model-threads", type=int, default=None,
              help="Cores one model call may use [env QA_MODEL_THREADS; default: 1 when several questions are "
                   "answered at once, so each takes a core].")
@click.option("--ray", "ray_address", is_flag=False, flag_value="local", default=None, metavar="[ADDRESS]",
              help="Serve a shard set (qa ingest --shards N) on Ray Serve, a replica per shard: the head's "
                   "host:port, `auto`, or no value for a local Ray instance (the cluster extra).")
@click.option("--share", is_flag=True, help="Also serve through a public Gradio link (needs QA_AUTH).")
@click.option("--mcp", is_flag=True,
              help="Also serve the search tool to AI assistants over MCP at /gradio_api/mcp (the mcp extra; "
                   "with QA_AUTH, MCP requests need the same user:password as Basic auth).")
@settings_options
def serve(host: str | None, port: int | None, concurrency: int | None, model_threads: int | None,
          ray_address: str | None, share: bool, mcp: bool, settings) -> None:
    """Serve the chat UI in the browser (127.0.0.1 unless told otherwise)."""
    settings = settings.replace(host=host, port=port, concurrency=concurrency, model_threads=model_threads)
    if not settings.model_threads and settings.concurrency > 1:  # questions side by side, a core each
        settings = settings.replace(model_threads=1)
    auth = auth_from_env()
    check_exposure(settings.host, share, auth)  # before anything slow
    if mcp and importlib.util.find_spec("mcp") is None:
        raise SettingsError("--mcp needs the mcp extra: pip install -e '.[mcp]' (or pip install 'gradio[mcp]')")
    reader = None
    if ray_address is not None:
        if not is_shard_set(settings.index_dir):
            raise SettingsError(f"--ray serves a shard set, and {settings.index_dir} is not one: serve it without "
                                "--ray, or shard it with `qa ingest FILES --shards N --index-dir NEW`")
        reader = serve_shards(settings.index_dir, ray_address, settings.shard_timeout)
    index = Index.open(settings=settings, reader=reader)  # load the model before gradio imports huggingface_hub
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # read when gradio is imported

    from starlette.middleware import Middleware

    from ui.app import build_app
    from ui.cards import CSS, HEAD
    from ui.http import BadRequestStatus, SearchArguments
    from ui.rest import RestSearch
    from ui.security import HostCheck, McpAuth, allowed_hosts, basic_allowed

    app = build_app(index)
    hosts = allowed_hosts(settings.host, settings.allowed_hosts)
    middleware = [Middleware(HostCheck, allowed=hosts),
                  Middleware(RestSearch, index=index, concurrency=settings.concurrency,
                             allowed=(lambda scope: basic_allowed(scope, auth)) if auth else None),
                  Middleware(BadRequestStatus), Middleware(SearchArguments)]
    middleware += [Middleware(McpAuth, credentials=auth)] if mcp and auth else []
    # an IPv6 literal goes to the server in brackets ("[::1]"), as it appears in a url
    bind = f"[{settings.host}]" if ":" in settings.host and not settings.host.startswith("[") else settings.host
    click.echo(f"serving {index.path} on http://{bind}:{settings.port} (Ctrl+C to stop)")
    if mcp:
        click.echo(f"MCP server: http://{bind}:{settings.port}/gradio_api/mcp (tool: search)")
    app.launch(server_name=bind, server_port=settings.port, share=share, css=CSS, head=HEAD,
               auth=auth or None, show_error=True, footer_links=["api"], quiet=True, mcp_server=mcp,
               max_file_size=f"{settings.max_file_mb}mb", app_kwargs={"middleware": middleware},
               prevent_thread_lock=bool(mcp and auth))
    if mcp and auth:
        from ui.mcp import log_in_mcp_client

        log_in_mcp_client(app, auth)
        click.echo("MCP tool calls run as the first QA_AUTH user; MCP requests need QA_AUTH credentials")
        app.block_thread()
