"""``qa serve --mcp`` behind QA_AUTH.

Gradio's MCP server runs each tool call through a ``gradio_client.Client`` it builds on
the app's own url with no credentials, so once the app has a login every call fails
("credentials were not provided"). MCP requests are checked for the QA_AUTH credentials
by :class:`ui.security.McpAuth`; this gives Gradio's MCP server a client logged in with
the first QA_AUTH user, made before the first request. It touches one private attribute
of Gradio's MCP server (``_client_instance``, Gradio 6.x) and fails loudly if that is gone.
"""

from __future__ import annotations

from qa import SettingsError


def log_in_mcp_client(app, credentials: list[tuple[str, str]]) -> None:
    """Give the launched ``app``'s MCP server a client logged in with ``credentials[0]``."""
    from gradio_client import Client

    server = getattr(app, "mcp_server_obj", None)
    if server is None or not hasattr(server, "_client_instance"):
        raise SettingsError("this Gradio version's MCP server cannot be given credentials: serve --mcp without "
                            "QA_AUTH on 127.0.0.1, or install gradio 6.x (see pyproject.toml)")
    server._client_instance = Client(app.local_url, auth=credentials[0], download_files=False, verbose=False,
                                     analytics_enabled=False, _skip_components=False,
                                     headers={"x-gradio-user": "mcp"})
