"""Who may reach the web chat: loopback by default, the network only with a password.

``QA_AUTH`` holds ``user:password``, or the path of a file with one ``user:password``
per line. Serving on a non-loopback address, or through a Gradio share link, without it
is refused. The MCP server (``qa serve --mcp``) follows the same rules: Gradio's login
does not cover its endpoint, so with QA_AUTH set :class:`McpAuth` asks every MCP
request for the same credentials as HTTP Basic authentication.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
import os
from pathlib import Path

from qa import SettingsError

LOOPBACK_NAMES = {"localhost", "ip6-localhost"}


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_auth(value: str | None) -> list[tuple[str, str]]:
    """Credentials from ``user:password`` or a file of such lines; [] when unset."""
    if not value:
        return []
    lines = [value]
    path = Path(value).expanduser()
    if ":" not in value or path.is_file():
        if not path.is_file():
            # never echo the value: it may be a password typed without its user
            raise SettingsError(f"QA_AUTH (a value of {len(value)} characters, not shown) is neither "
                                "user:password nor the path of a readable file: set QA_AUTH=user:password")
        try:
            lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
                     if line.strip() and not line.startswith("#")]
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(f"cannot read the QA_AUTH file {path} ({exc.__class__.__name__}): "
                                "make it a UTF-8 text file of user:password lines") from None
    pairs = []
    for number, line in enumerate(lines, start=1):
        user, sep, password = line.partition(":")
        if not sep or not user or not password:
            where = f"line {number} of {path}" if len(lines) > 1 or path.is_file() else "QA_AUTH"
            raise SettingsError(f"{where} must look like user:password (both non-empty; the value is not shown)")
        pairs.append((user, password))
    return pairs


def check_exposure(host: str, share: bool, auth: list[tuple[str, str]]) -> None:
    """Refuse to serve beyond this machine without credentials."""
    if (share or not is_loopback(host)) and not auth:
        where = "a public share link" if share else f"{host} (reachable from the network)"
        raise SettingsError(
            f"refusing to serve on {where} without authentication: set QA_AUTH=user:password "
            "(or QA_AUTH=/path/to/file with user:password lines), or serve on 127.0.0.1"
        )


def auth_from_env(environ=None) -> list[tuple[str, str]]:
    environ = os.environ if environ is None else environ
    return parse_auth(environ.get("QA_AUTH"))


MCP_PREFIX = "/gradio_api/mcp"


class McpAuth:
    """ASGI middleware: MCP requests need ``Authorization: Basic`` with a QA_AUTH user:password."""

    def __init__(self, app, credentials: list[tuple[str, str]]):
        self.app = app
        self.credentials = credentials

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith(MCP_PREFIX) or self._allowed(scope):
            await self.app(scope, receive, send)
            return
        body = b"MCP needs the web chat's credentials: send Authorization: Basic base64(user:password) of QA_AUTH"
        await send({"type": "http.response.start", "status": 401,
                    "headers": [(b"content-type", b"text/plain"), (b"www-authenticate", b'Basic realm="article-qa"'),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    def _allowed(self, scope) -> bool:
        return basic_allowed(scope, self.credentials)


def basic_allowed(scope, credentials: list[tuple[str, str]]) -> bool:
    """Whether a request carries ``Authorization: Basic`` with one of ``credentials``."""
    header = dict(scope.get("headers") or []).get(b"authorization", b"")
    scheme, _, token = header.decode("latin-1").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, password = base64.b64decode(token.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    user_bytes, password_bytes = user.encode(), password.encode()  # compare_digest takes ASCII str only
    return any(hmac.compare_digest(user_bytes, u.encode()) & hmac.compare_digest(password_bytes, p.encode())
               for u, p in credentials)


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def allowed_hosts(bind: str, extra: str = "") -> frozenset[str]:
    """The names a request's Host header may give: the loopback ones, the address the server
    binds (unless it is every address) and those the user lists (``QA_ALLOWED_HOSTS``)."""
    names = {*LOOPBACK_NAMES, *(n.strip().lower().strip("[]") for n in extra.split(",") if n.strip())}
    if bind not in ("0.0.0.0", "::", ""):
        names.add(bind.lower().strip("[]"))
    return frozenset(names)


def host_name(header: str) -> str:
    """The name of a Host header without its port: ``[::1]:7860`` -> ``::1``."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class HostCheck:
    """ASGI middleware: a request whose Host is not one of ``allowed`` gets a 400, so a web page
    the user visits cannot reach this server through DNS rebinding (its Host is the page's name)."""

    def __init__(self, app, allowed: frozenset[str]):
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        header = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
        if host_name(header) in self.allowed:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        body = (f"host not allowed: {header[:100]!r}; serve it by adding the name to QA_ALLOWED_HOSTS "
                "(comma-separated)").encode()
        await send({"type": "http.response.start", "status": 400,
                    "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
