"""A small news site on 127.0.0.1 for the fetching tests: pages, a feed, a sitemap, a PDF,
and the ways a fetch fails (404, 500, slow, a redirect loop, huge, not a page, robots.txt)."""

from __future__ import annotations

import gzip
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.pdfs import make_pdf

ROBOTS = b"User-agent: *\nDisallow: /private/\n"


def page(title: str, body: str, date: str = "2025-03-04") -> bytes:
    paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
    return (f"<html><head><title>{title}</title><meta property='og:site_name' content='Harbour Courier'>"
            f"<meta name='date' content='{date}'><meta name='author' content='Ines Varga'></head><body>"
            f"<nav><a href='/'>Home</a> <a href='/news'>News</a></nav><article><h1>{title}</h1>{paragraphs}"
            f"</article><footer>Copyright Harbour Courier</footer></body></html>").encode()


ARTICLES = {
    "/news/ferry.html": page("Night ferry to Skarholm resumes", (
        "The night ferry between the harbour and Skarholm island will run again from Friday, the operator said, "
        "after a three-month pause for engine repairs.\n\nTickets for the first week sold out within a day, and "
        "the island council asked for a second evening crossing during the summer months.")),
    "/news/market.html": page("Fish market moves to the old customs hall", (
        "The weekly fish market will move into the old customs hall in April, ending years of complaints about "
        "stalls standing in the rain on the quay.\n\nThe city bought the empty hall last year and spent most of "
        "the winter replacing its roof and installing cold rooms for the traders.")),
    "/news/lighthouse.html": page("Keepers return to the Skerry Point lighthouse", (
        "Two resident keepers will move back into the Skerry Point lighthouse this spring, the coastal authority "
        "said, after the automatic lamp failed three times during the winter storms.\n\nMaren Olsby and Tuva Rask "
        "were chosen from forty applicants and start work on the first of April.")),
}
PDF = make_pdf([["Harbour council agrees to dredge the silted channel",
                 "The harbour council voted on Monday to dredge the silted channel before the summer",
                 "season, after two fishing boats ran aground there in January."],
                ["Work is to start in March and take about six weeks, the engineer in charge said."]],
               title="Harbour channel to be dredged", created="2025-01-20")


class Site:
    """The server's content and what it was asked; ``feed_items`` can grow between requests."""

    def __init__(self):
        self.feed_items = ["/news/ferry.html", "/news/market.html"]
        self.big_feed = 12  # items of /big-feed.xml, each a page /gen/N.html
        self.requests: Counter[str] = Counter()
        self.conditional: list[str] = []  # paths asked with If-None-Match / If-Modified-Since
        self.url = ""

    def feed(self) -> tuple[bytes, str]:
        items = "".join(f"<item><title>{p}</title><link>{self.url}{p}</link>"
                        f"<pubDate>Tue, 04 Mar 2025 08:00:00 GMT</pubDate></item>" for p in self.feed_items)
        body = (f"<?xml version='1.0'?><rss version='2.0'><channel><title>Harbour Courier</title>"
                f"<link>{self.url}</link>{items}</channel></rss>").encode()
        return body, f'"feed-{len(self.feed_items)}"'

    def sitemap(self) -> bytes:
        urls = "".join(f"<url><loc>{self.url}{p}</loc><news:news><news:publication_date>2025-03-05"
                       f"</news:publication_date></news:news></url>" for p in ARTICLES)
        return (f"<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9' "
                f"xmlns:news='http://www.google.com/schemas/sitemap-news/0.9'>{urls}</urlset>").encode()


def _handler(site: Site):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            path = self.path
            site.requests[path] += 1
            if self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since"):
                site.conditional.append(path)
            if path in ARTICLES or path == "/private/secret.html":
                return self.send(200, "text/html; charset=utf-8", ARTICLES.get(path, ARTICLES["/news/ferry.html"]))
            if path == "/feed.xml":
                body, etag = site.feed()
                if self.headers.get("If-None-Match") == etag:
                    return self.send(304, None, b"", {"ETag": etag})
                return self.send(200, "application/rss+xml", body, {"ETag": etag})
            if path == "/sitemap.xml":
                return self.send(200, "application/xml", site.sitemap())
            if path == "/robots.txt":
                return self.send(200, "text/plain", ROBOTS)
            if path == "/report.pdf":
                return self.send(200, "application/pdf", PDF)
            if path == "/scan.pdf":
                return self.send(200, "application/pdf", make_pdf([[], []], title="Scanned"))
            if path == "/error":
                return self.send(500, "text/html", b"<h1>oops</h1>")
            if path == "/slow":
                time.sleep(1.5)
                return self.send(200, "text/html", ARTICLES["/news/ferry.html"])
            if path.startswith("/loop"):
                return self.send(302, None, b"", {"Location": "/loop?again"})
            if path == "/moved":
                return self.send(301, None, b"", {"Location": "/news/lighthouse.html"})
            if path == "/huge":
                return self.send(200, "text/html", b"<html>" + b"x" * 3_000_000)
            if path in ("/bomb.html", "/stacked.html"):  # 1.8 KB on the wire, 100 MB (or 2 GB) inside
                inner = gzip.compress(b"<html>" + b"x" * 100_000_000, compresslevel=9)
                if path == "/stacked.html":
                    return self.send(200, "text/html", gzip.compress(inner), {"Content-Encoding": "gzip, gzip"})
                return self.send(200, "text/html", inner, {"Content-Encoding": "gzip"})
            if path == "/drip-headers.html":  # the status line and headers a byte every 0.5 s (30 s in all)
                head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Slow: " + b"y" * 40 + b"\r\n\r\n<html>"
                try:
                    for byte in head:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(0.5)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True
                return None
            if path == "/drip.html":  # a byte every 0.5 s, for ever (the tests' deadline is 1 s)
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                try:
                    for _ in range(60):
                        self.wfile.write(b"x")
                        self.wfile.flush()
                        time.sleep(0.5)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                return None
            if path == "/to-data":
                return self.send(302, None, b"", {"Location": "data:text/html,<p>hi</p>"})
            if path == "/odd-feed.xml":  # items that are no urls to fetch, and one good one
                items = "".join(f"<item><title>{n}</title><link>{link}</link></item>" for n, link in (
                    ("to data", f"{site.url}/to-data"), ("broken", "http://[::1"), ("spaces", "http://exa mple.com/a"),
                    ("good", f"{site.url}/news/market.html")))
                return self.send(200, "application/rss+xml",
                                 f'<?xml version="1.0"?><rss version="2.0"><channel><title>Odd</title>{items}'
                                 "</channel></rss>".encode())
            if path == "/big-feed.xml":
                items = "".join(f"<item><title>Item {n}</title><link>{site.url}/gen/{n}.html</link></item>"
                                for n in range(site.big_feed))
                body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>{items}</channel></rss>'
                return self.send(200, "application/rss+xml", body.encode(), {"ETag": f'"big-{site.big_feed}"'})
            if path.startswith("/gen/") and path.endswith(".html"):
                n = path[5:-5]
                return self.send(200, "text/html; charset=utf-8", (
                    f"<html><head><title>Buoy {n} moved</title></head><body><article><h1>Buoy {n} moved</h1>"
                    f"<p>The harbour board moved buoy number {n} to the east side of the channel on Monday, "
                    f"the harbour master said, after a survey found the old spot too shallow.</p></article>"
                    "</body></html>").encode())
            if path == "/latin1.html":  # the charset only in HTTP (byte guessing reads this as cp1257)
                line = ("\xc0 Montr\xe9al, la soci\xe9t\xe9 \xe9lectrique a annonc\xe9 une hausse des tarifs de 5 % "
                        "d\xe8s janvier prochain.")
                page = (f"<html><head><title>T</title></head><body><article><p>{line}</p><p>{line}</p>"
                        "</article></body></html>")
                return self.send(200, "text/html; charset=ISO-8859-1", page.encode("latin-1"))
            if path in ("/self-index.xml", "/only-self.xml"):  # sitemap indexes that list themselves
                listed = [path] + (["/sitemap.xml"] if path == "/self-index.xml" else [])
                locs = "".join(f"<sitemap><loc>{site.url}{p}</loc></sitemap>" for p in listed)
                return self.send(200, "application/xml", ("<?xml version='1.0'?><sitemapindex xmlns='http://www."
                                 f"sitemaps.org/schemas/sitemap/0.9'>{locs}</sitemapindex>").encode())
            if path in ("/bad-first-index.xml", "/many-index.xml"):  # a 404 child before a good one; 23 children
                listed = ["/gone-sitemap.xml", "/sitemap.xml"] if path == "/bad-first-index.xml" else \
                    [f"/gone-{i}.xml" for i in range(22)] + ["/sitemap.xml"]
                locs = "".join(f"<sitemap><loc>{site.url}{p}</loc></sitemap>" for p in listed)
                return self.send(200, "application/xml", ("<?xml version='1.0'?><sitemapindex xmlns='http://www."
                                 f"sitemaps.org/schemas/sitemap/0.9'>{locs}</sitemapindex>").encode())
            if path == "/photo.png":
                return self.send(200, "image/png", b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
            if path == "/not-a-feed.xml":
                return self.send(200, "application/xml", b"<html><body>hello</body></html>")
            return self.send(404, "text/html", b"<h1>not found</h1>")

        def send(self, status: int, kind: str | None, body: bytes, headers: dict | None = None) -> None:
            self.send_response(status)
            if kind:
                self.send_header("Content-Type", kind)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


@contextmanager
def news_site() -> Iterator[Site]:
    """The site served on 127.0.0.1 until the block ends; ``site.url`` is its root."""
    site = Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    site.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
