"""Fetch web pages politely and safely: timeouts, a size limit, bounded redirects,
robots.txt, one request at a time, and (for the web UI) no way into private networks.

Every failure is a :class:`FetchError` (an :class:`ArticleError` naming the url) with a
one-line reason: HTTP 404, HTTP 500, not a page or PDF, too large, timed out, refused,
too many redirects, a private address, disallowed by robots.txt. With
``allow_private=False`` a url is refused when its host resolves to a loopback, private,
link-local, multicast or reserved address, checked where each connection is made (every
redirect makes its own) on the very address connected to (index/web/addresses.py), so a DNS
answer that changes between a check and the connect cannot slip through.
"""

from __future__ import annotations

import logging
import time
import urllib.robotparser
import zlib
from dataclasses import dataclass, field
from email.message import Message
from urllib.parse import urljoin, urlsplit

from index.errors import ArticleError
from index.settings import MAX_FILE_MB, IndexSettings
from index.web.addresses import PrivateAddress, checked_transport
from index.web.deadline import within

log = logging.getLogger(__name__)

USER_AGENT = "article-qa/0.1 (news question answering; +https://pypi.org/project/article-qa/)"
PAGE_TYPES = ("text/html", "application/xhtml+xml", "application/pdf")


class FetchError(ArticleError):
    """A url could not be fetched: the reason is one line."""

    def __init__(self, url: str, reason: str):
        super().__init__(url, reason)


WHATWG_LABELS = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "us-ascii": "cp1252",
                 "ascii": "cp1252", "iso8859-1": "cp1252", "l1": "cp1252"}  # how browsers read these labels
DECODERS = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}  # Content-Encodings read: zlib's wbits


@dataclass(frozen=True)
class FetchPolicy:
    timeout_s: float = 15.0  # connect, and each wait for bytes
    # the whole of one url: connect, status line, headers, body, redirects (QA_FETCH_DEADLINE); a
    # server dripping bytes anywhere is cut off (index/web/deadline.py)
    deadline_s: float = 60.0
    max_bytes: int = MAX_FILE_MB * 1_000_000  # of the body, decompressed
    max_redirects: int = 5
    max_links: int = 2000  # new links taken from one feed or sitemap per run; the rest wait for the next
    robots: bool = True  # obey robots.txt
    allow_private: bool = True  # the CLI fetches what its own user names; the web UI does not
    user_agent: str = USER_AGENT

    @classmethod
    def for_settings(cls, settings: IndexSettings, **changes) -> FetchPolicy:
        """The policy with the size limit of ``settings.max_file_mb``, its fetch deadline (and ``changes``)."""
        return cls(max_bytes=settings.max_file_bytes, deadline_s=settings.fetch_deadline, **changes)


@dataclass
class Response:
    url: str  # after redirects
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def is_pdf(self) -> bool:
        return self.content_type == "application/pdf" or self.body.startswith(b"%PDF-")

    @property
    def charset(self) -> str | None:
        """The character encoding the Content-Type header names, if any (lower case)."""
        header = Message()
        header["content-type"] = self.headers.get("content-type", "")
        return header.get_content_charset()

    def text(self) -> str | None:
        """The body decoded by the charset HTTP names (which outranks a page's own <meta>, as
        browsers do; labels as the WHATWG Encoding Standard reads them: "iso-8859-1" is
        windows-1252), or None when HTTP names none, or one Python does not know."""
        charset = self.charset
        if charset is None:
            return None
        charset = WHATWG_LABELS.get(charset, charset)
        try:
            return self.body.decode(charset, errors="replace").removeprefix("\ufeff")
        except LookupError:
            log.info("%s: unknown charset %r, left to detection", self.url, charset)
            return None


class Fetcher:
    """Fetches one url at a time (so at most one request per host is in flight)."""

    def __init__(self, policy: FetchPolicy | None = None):
        import httpx

        self.policy = policy or FetchPolicy()
        transport = checked_transport(check=not self.policy.allow_private)
        self._client = httpx.Client(timeout=self.policy.timeout_s, follow_redirects=False, trust_env=False,
                                    transport=transport,
                                    headers={"User-Agent": self.policy.user_agent,
                                             "Accept-Encoding": ", ".join(DECODERS)})
        self._robots: dict[str, urllib.robotparser.RobotFileParser | str] = {}

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def page(self, url: str) -> Response:
        """An article page (HTML or PDF)."""
        response = self.get(url)
        if not (response.content_type in PAGE_TYPES or response.is_pdf):
            raise FetchError(url, f"not an HTML page or a PDF (Content-Type {response.content_type or 'none'})")
        return response

    def get(self, url: str, headers: dict[str, str] | None = None) -> Response:
        """The final response after redirects; 304 is returned, other non-2xx raise."""
        check_url(url)
        if self.policy.robots and not self._allowed(url):
            raise FetchError(url, f"robots.txt of {urlsplit(url).netloc} disallows it (pass --ignore-robots "
                                  "to fetch it anyway)")
        current = url
        deadline = time.monotonic() + self.policy.deadline_s
        for _ in range(self.policy.max_redirects + 1):
            response = self._one(url, current, headers or {}, deadline)
            if response.status in (301, 302, 303, 307, 308) and "location" in response.headers:
                current = urljoin(current, response.headers["location"])
                check_url(current, url)
                continue
            if response.status == 304 or 200 <= response.status < 300:
                return response
            raise FetchError(url, f"HTTP {response.status} {_reason(response.status)}".rstrip())
        raise FetchError(url, f"too many redirects (more than {self.policy.max_redirects}; last to {current})")

    def _one(self, url: str, current: str, headers: dict[str, str], deadline: float) -> Response:
        import httpx

        try:
            with within(deadline), self._client.stream("GET", current, headers=headers) as reply:
                declared = reply.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self.policy.max_bytes:
                    raise FetchError(url, f"too large: {int(declared):,} bytes, the limit is "
                                          f"{self.policy.max_bytes:,} (QA_MAX_FILE_MB)")
                body = self._body(url, reply, deadline)
                kind = reply.headers.get("content-type", "").split(";")[0].strip().lower()
                return Response(str(reply.url), reply.status_code, kind, bytes(body),
                                {k.lower(): v for k, v in reply.headers.items()})
        except FetchError:
            raise
        except PrivateAddress as exc:
            raise _refused(exc, current, url) from None
        except httpx.TimeoutException:
            if time.monotonic() >= deadline:  # slow all along (a drip), not one silent wait
                raise FetchError(url, f"took longer than {self.policy.deadline_s:g} s in all: stopped") from None
            raise FetchError(url, f"timed out after {self.policy.timeout_s:g} s") from None
        except httpx.ConnectError as exc:
            raise FetchError(url, f"cannot connect: {_connect_reason(exc)}") from None
        except httpx.InvalidURL as exc:  # passed our check, but httpx cannot parse it (or a redirect's Location)
            why = " ".join(str(exc).split())
            if _in_redirect(exc):  # httpx reads a redirect's Location even when it does not follow it
                raise FetchError(url, f"the reply redirects to a url that cannot be fetched ({why})") from None
            raise FetchError(url, f"the url cannot be fetched ({why})") from None
        except (httpx.HTTPError, ValueError) as exc:  # one url's trouble, never the batch's
            raise FetchError(url, f"the request failed: {type(exc).__name__} {' '.join(str(exc).split())}") from None

    def _body(self, url: str, reply, deadline: float) -> bytearray:
        """The body, decompressed here within the size limit (a 2 KB gzip bomb never becomes
        1 GB in memory), read before ``deadline``."""
        encodings = [e.strip().lower() for e in reply.headers.get("content-encoding", "").split(",") if e.strip()]
        encodings = [e for e in encodings if e != "identity"]
        if len(encodings) > 1 or (encodings and encodings[0] not in DECODERS):
            raise FetchError(url, f"refused: Content-Encoding {', '.join(encodings)} (one of "
                                  f"{', '.join(DECODERS)} at most)")
        decoder = zlib.decompressobj(DECODERS[encodings[0]]) if encodings else None
        limit, body = self.policy.max_bytes, bytearray()
        for raw in reply.iter_raw():
            if time.monotonic() > deadline:
                raise FetchError(url, f"took longer than {self.policy.deadline_s:g} s in all: stopped")
            if decoder is None:
                body += raw
            else:
                try:
                    body += decoder.decompress(raw, limit + 1 - len(body))
                except zlib.error as exc:
                    raise FetchError(url, f"the body is not valid {encodings[0]} ({exc})") from None
            if len(body) > limit or (decoder is not None and decoder.unconsumed_tail):  # more inside than allowed
                raise FetchError(url, f"too large: more than the limit of {limit:,} bytes (QA_MAX_FILE_MB)")
        return body

    def _allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        root = f"{parts.scheme}://{parts.netloc}"
        if root not in self._robots:
            self._robots[root] = self._read_robots(root)
        rules = self._robots[root]
        if isinstance(rules, str):
            raise FetchError(url, rules)
        return rules.can_fetch(self.policy.user_agent, url)

    def _read_robots(self, root: str) -> urllib.robotparser.RobotFileParser | str:
        """The rules of robots.txt; a 4xx means none (RFC 9309), an unreachable one a reason to stop."""
        rules = urllib.robotparser.RobotFileParser()
        try:
            robots = root + "/robots.txt"
            response = self._one(robots, robots, {}, time.monotonic() + self.policy.deadline_s)
        except FetchError as exc:  # the site itself cannot be reached: say that
            return exc.reason
        if 400 <= response.status < 500:
            rules.parse([])
        elif response.status >= 500:
            return (f"robots.txt answered HTTP {response.status}: the site is treated as disallowing all "
                    "(RFC 9309); pass --ignore-robots to fetch anyway")
        else:
            rules.parse(response.body.decode("utf-8", "replace").splitlines())
        return rules


def _in_redirect(exc: BaseException) -> bool:
    """Whether httpx raised ``exc`` while reading a redirect's Location."""
    trace = exc.__traceback__
    while trace is not None:
        if "redirect" in trace.tb_frame.f_code.co_name:
            return True
        trace = trace.tb_next
    return False


def is_url(value: object) -> bool:
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))


def check_url(url: str, origin: str | None = None) -> None:
    try:
        parts = urlsplit(url)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # "http://[::1" and the like
        ok = False
    if not ok:
        raise FetchError(origin or url, f"not an http(s) url: {url[:200]!r}")


def _refused(exc: PrivateAddress, url: str, origin: str | None) -> FetchError:
    where = "" if origin in (None, url) else f" (redirected to {url})"
    return FetchError(origin or url, f"refused: {exc}{where}; the web app fetches public addresses only "
                                     "unless QA_ALLOW_PRIVATE_URLS=1")


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _connect_reason(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    if "refused" in text.lower():
        return "connection refused"
    if "name or service not known" in text.lower() or "nodename nor servname" in text.lower():
        return "the host name cannot be resolved"
    return text or type(exc).__name__
