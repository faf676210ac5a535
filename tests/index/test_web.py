"""Articles from urls, feeds, sitemaps and PDFs, against a site the tests serve on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from index import Feed, FetchPolicy
from index.directory.layout import IndexDir
from index.formats import pdf as pdf_format
from index.ingestion import ingest, refresh
from index.store.database import Store
from index.web.fetch import Fetcher, FetchError
from tests.pdfs import assemble, make_pdf
from tests.serving import QA
from tests.webserver import news_site

FAST = FetchPolicy(timeout_s=1.0, max_bytes=1_000_000, max_redirects=3)


@pytest.fixture
def site():
    with news_site() as served:
        yield served


def reasons(report) -> dict[str, str]:
    return {f.source.rsplit("/", 1)[-1]: f.reason for f in report.failed}


def test_pages_by_url_with_their_metadata(site, settings, embedder):
    report = ingest([f"{site.url}/news/ferry.html", f"{site.url}/report.pdf", f"{site.url}/moved"], settings,
                    embedder=embedder, fetch=FAST)
    assert report.ok, report.failed
    assert len(report.added) == 3
    store = Store(IndexDir(settings.index_dir).database_path)
    try:
        rows = {r[0]: r[1:] for r in store.fetch("SELECT title, source, published, byline, url, origin FROM articles")}
    finally:
        store.close()
    ferry = rows["Night ferry to Skarholm resumes"]
    assert ferry[0] == "Harbour Courier" and ferry[1] == "2025-03-04" and ferry[2] == "Ines Varga"
    assert rows["Harbour channel to be dredged"][1] == "2025-01-20"  # from the PDF's metadata
    moved = rows["Keepers return to the Skerry Point lighthouse"]
    assert moved[3].endswith("/news/lighthouse.html") and moved[4].endswith("/moved")  # followed the redirect


def test_each_failure_is_one_line_and_the_rest_lands(site, settings, embedder):
    bad = ["missing.html", "error", "slow", "loop", "huge", "photo.png", "scan.pdf", "private/secret.html"]
    report = ingest([f"{site.url}/{b}" for b in bad] + [f"{site.url}/news/market.html", "http://127.0.0.1:9/x"],
                    settings, embedder=embedder, fetch=FAST)
    assert len(report.added) == 1
    why = reasons(report)
    assert why["missing.html"] == "HTTP 404 Not Found"
    assert why["error"] == "HTTP 500 Internal Server Error"
    assert why["slow"] == "timed out after 1 s"
    assert why["loop"].startswith("too many redirects (more than 3; last to ")
    assert why["huge"].startswith("too large: 3,000,006 bytes, the limit is 1,000,000")
    assert why["photo.png"] == "not an HTML page or a PDF (Content-Type image/png)"
    assert "no text layer" in why["scan.pdf"] and "OCR" in why["scan.pdf"]
    assert why["secret.html"].startswith("robots.txt of 127.0.0.1")
    assert why["x"] == "cannot connect: connection refused"
    assert all("\n" not in r for r in why.values())


def test_robots_can_be_ignored_and_private_addresses_refused(site, settings, embedder):
    report = ingest([f"{site.url}/private/secret.html"], settings, embedder=embedder,
                    fetch=FetchPolicy(timeout_s=1.0, robots=False))
    assert report.ok and len(report.added) == 1
    guarded = ingest([f"{site.url}/news/market.html"], settings, embedder=embedder,
                     fetch=FetchPolicy(timeout_s=1.0, allow_private=False))
    (failure,) = guarded.failed
    assert "refused: 127.0.0.1 is a loopback address" in failure.reason and "QA_ALLOW_PRIVATE_URLS" in failure.reason
    assert site.requests["/news/market.html"] == 0  # nothing was sent
    with Fetcher(FetchPolicy(timeout_s=1.0, robots=False, allow_private=False)) as fetcher:
        for url, kind in [("http://localhost/x", "loopback"), ("http://10.1.2.3/", "private"),
                          ("http://169.254.169.254/latest/meta-data", "link-local"),
                          ("http://[::1]:8080/", "loopback"), ("http://192.168.0.10/", "private")]:
            with pytest.raises(FetchError, match=f"is a {kind} address"):  # refused where it would connect
                fetcher.page(url)


def test_a_feed_is_followed_and_refresh_fetches_only_the_new(site, settings, embedder):
    first = ingest([], settings, embedder=embedder, feeds=[Feed(f"{site.url}/feed.xml", "feed")], fetch=FAST)
    assert first.ok and len(first.added) == 2
    assert site.requests["/news/ferry.html"] == 1 and site.requests["/news/market.html"] == 1

    unchanged = refresh(settings, fetch=FAST, embedder=embedder)
    assert site.conditional == ["/feed.xml"]  # answered 304: nothing else asked
    assert unchanged.added == [] and site.requests["/news/ferry.html"] == 1

    site.feed_items.append("/news/lighthouse.html")
    again = refresh(settings, fetch=FAST, embedder=embedder)
    assert len(again.added) == 1
    assert site.requests["/news/lighthouse.html"] == 1
    assert site.requests["/news/ferry.html"] == 1 and site.requests["/news/market.html"] == 1  # not fetched again
    assert len(again.skipped) == 2 and all("not fetched again" in why for _, why in again.skipped)


def test_a_sitemap_and_a_bad_one(site, settings, embedder):
    report = ingest([], settings, embedder=embedder, fetch=FAST,
                    feeds=[Feed(f"{site.url}/sitemap.xml", "sitemap"), Feed(f"{site.url}/not-a-feed.xml", "sitemap"),
                           Feed(f"{site.url}/nothing.xml", "feed")])
    assert len(report.added) == 3
    why = reasons(report)
    assert why["not-a-feed.xml"] == "not a sitemap (its root element is <html>, not <urlset> or <sitemapindex>)"
    assert why["nothing.xml"] == "HTTP 404 Not Found"
    store = Store(IndexDir(settings.index_dir).database_path)
    try:
        assert [f.url.rsplit("/", 1)[1] for f in store.feeds()] == ["sitemap.xml"]
        lighthouse = store.fetch("SELECT published FROM articles WHERE title LIKE 'Keepers%'")
    finally:
        store.close()
    assert lighthouse == [("2025-03-04",)]  # the page's own date wins over the sitemap's


def test_a_sitemap_index_that_lists_itself(site, settings, embedder):
    report = ingest([], settings, embedder=embedder, fetch=FAST,
                    feeds=[Feed(f"{site.url}/self-index.xml", "sitemap"), Feed(f"{site.url}/only-self.xml", "sitemap")])
    assert len(report.added) == 3  # the sitemap it lists beside itself is read once
    assert reasons(report) == {"only-self.xml": "a sitemap index that lists no sitemap but itself: nothing to read"}
    assert site.requests["/self-index.xml"] == 1


def test_each_child_of_a_sitemap_index_is_read_on_its_own(site, settings, embedder):
    """A child that answers 404 is one failure line and the good child after it is read; past 20
    children a note says how many waited."""
    report = ingest([], settings, embedder=embedder, fetch=FAST, feeds=[Feed(f"{site.url}/bad-first-index.xml",
                                                                               "sitemap")])
    assert len(report.added) == 3
    assert reasons(report) == {"gone-sitemap.xml": "HTTP 404 Not Found"}
    many = ingest([], settings, embedder=embedder, fetch=FAST, feeds=[Feed(f"{site.url}/many-index.xml", "sitemap")])
    assert len(many.failed) == 20 and site.requests["/gone-20.xml"] == 0
    assert [str(n) for n in many.warnings] == [f"{site.url}/many-index.xml: 3 more child sitemap(s) than the 20 read "
                                               "per run were not read: give them with their own --sitemap"]


def test_pdf_files_and_their_failures(tmp_path):
    good = make_pdf([["Harbour council agrees a plan", "The council agreed on Monday to dredge the silted channel",
                      "before the summer season begins, the chair said."]], title="Harbour plan", created="2025-01-20")
    article = pdf_format.parse(good, "plan.pdf")
    assert article.title == "Harbour plan" and article.published == "2025-01-20"
    assert "dredge the silted channel before the summer season" in article.text
    with pytest.raises(Exception, match="no text layer"):
        pdf_format.parse(make_pdf([[]]), "scan.pdf")
    with pytest.raises(Exception, match="cannot read the PDF"):
        pdf_format.parse(b"%PDF-1.4\nnot really", "broken.pdf")


PRINTED = ["Ferry crews strike over rosters", "By Ana Lima", "September 9, 2024", "Source: Northsound Herald",
           "Crews on the Skerry Isles ferries walked out on Monday over new rosters, stranding about",
           "2,000 passengers, the operator Northsound Lines said. Talks resume on Thursday, a union",
           "spokesman said, and the timetable stays suspended until then."]


@pytest.mark.parametrize("producer", ["Skia/PDF m131", "Mozilla Firefox 133.0 (cairo 1.18)"])
def test_a_page_printed_from_a_browser_is_dated_and_credited_by_its_text(producer):
    """Printed on 21 November: the text says 9 September, who wrote it and where; the title
    line and the byline are not glued to the first sentence."""
    article = pdf_format.parse(make_pdf([PRINTED], created="2024-11-21", producer=producer), "print.pdf")
    assert article.published == "2024-09-09" and article.byline == "Ana Lima"
    assert article.source == "Northsound Herald" and article.title == "Ferry crews strike over rosters"
    assert article.text.startswith("Crews on the Skerry Isles ferries walked out on Monday over new rosters, "
                                   "stranding about 2,000 passengers")


CHROMIUM_PRINT = ["The Harbour Ledger", "Ferry berths to be rebuilt before winter",
                  "By Nadia Ferreira \u00b7 21 November 2024",
                  "The harbour board voted on Tuesday to rebuild the two ferry berths at the north quay before",
                  "the winter storms, after inspectors found the timber piles had rotted through in places.",
                  "12/6/26, 6:29 PM Ferry berths to be rebuilt before winter | The Harbour Ledger",
                  "https://ledger.example/2024/11/21/ferry-berths 1/1"]


def test_a_page_printed_by_chromium_is_dated_credited_and_linked_from_its_first_page():
    """As headless Chromium prints it: the title tag as the PDF's title ("... | The Harbour
    Ledger"), the masthead above the headline, "By ... · date", and the print header (the
    print time) and footer (the address, the page number) on the page."""
    article = pdf_format.parse(make_pdf([[line.replace("\u00b7", "-") for line in CHROMIUM_PRINT]],
                                        title="Ferry berths to be rebuilt before winter | The Harbour Ledger",
                                        created="2026-12-06", producer="Skia/PDF m156"), "print.pdf")
    assert article.published == "2024-11-21" and article.byline == "Nadia Ferreira"
    assert article.source == "The Harbour Ledger" and article.title == "Ferry berths to be rebuilt before winter"
    assert article.url == "https://ledger.example/2024/11/21/ferry-berths"
    assert article.text.startswith("The harbour board voted on Tuesday") and "6:29 PM" not in article.text


def test_a_pdf_not_printed_from_a_browser_keeps_its_own_date():
    article = pdf_format.parse(make_pdf([PRINTED], created="2024-09-10", producer="LibreOffice 7.6"), "report.pdf")
    assert article.published == "2024-09-10"  # the document's date, not a print date
    assert article.byline == "Ana Lima" and article.text.startswith("Crews on the Skerry Isles")


@pytest.mark.model
def test_cli_feed_then_refresh(site, tmp_path):
    env = {**os.environ, "QA_INDEX_DIR": str(tmp_path / "index")}
    first = subprocess.run([QA, "ingest", "-q", "--feed", f"{site.url}/feed.xml"], env=env, capture_output=True,
                           text=True, timeout=300)
    assert first.returncode == 0 and first.stdout.startswith("2 added"), first.stdout + first.stderr
    site.feed_items.append("/news/lighthouse.html")
    again = subprocess.run([QA, "refresh", "-q"], env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and again.stdout.startswith("1 added"), again.stdout + again.stderr
    assert site.requests["/news/lighthouse.html"] == 1 and site.requests["/news/ferry.html"] == 1
    md = subprocess.run([QA, "ask", "--format", "md", "who will keep the Skerry Point lighthouse?", "-k", "1"],
                        env=env, capture_output=True, text=True, timeout=300)
    assert "Sources:" in md.stdout and "[1]" in md.stdout and "Keepers return to the Skerry Point" in md.stdout
    none = subprocess.run([QA, "refresh", "--index-dir", str(tmp_path / "other")], capture_output=True, text=True)
    assert none.returncode == 1 and "qa ingest" in none.stderr


def test_a_pdf_page_bomb_is_refused_quickly():
    """5 KB that claims 90,000 pages (a page tree pointing at one page): refused by its page
    count at once, never parsed page by page."""
    import time

    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>"
    kids = b" ".join([b"3 0 R"] * 90_000)
    out = assemble([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [" + kids + b"] /Count 90000 >>",
                    page, b"<< /Length 0 >>\nstream\nendstream"])
    started = time.monotonic()
    with pytest.raises(Exception, match="90,000 pages, more than an article's 500"):
        pdf_format.parse(bytes(out), "bomb.pdf")
    assert time.monotonic() - started < 10


def test_fetch_bombs_and_drips_are_cut_off_early(site):
    """A gzip bomb, stacked encodings and a server dripping a byte at a time, on 127.0.0.1:
    each stopped by the size limit, the one-encoding rule or the per-url deadline, quickly
    (the bomb is inflated a limit's worth at a time, never whole)."""
    import time

    from index.web import Fetcher

    policy = FetchPolicy(timeout_s=5.0, deadline_s=1.0, max_bytes=1_000_000, max_redirects=3)
    with Fetcher(policy) as fetcher:
        for path, reason in (("/bomb.html", "too large: more than the limit of 1,000,000 bytes"),
                             ("/stacked.html", "refused: Content-Encoding gzip, gzip"),
                             ("/drip.html", "took longer than 1 s in all"),
                             ("/drip-headers.html", "took longer than 1 s in all")):
            started = time.monotonic()
            with pytest.raises(FetchError, match=reason):
                fetcher.page(f"{site.url}{path}")
            assert time.monotonic() - started < 6, path


def test_drips_in_headers_or_body_are_cut_off_on_time_and_the_index_stays_writable(site, settings, embedder):
    """`qa ingest URL` against a server that drips its status line and headers (or its body) a
    byte every 0.5 s: stopped at the fetch deadline (QA_FETCH_DEADLINE, 1 s here) with one line,
    while a removal goes through at once."""
    import threading
    import time

    from index.ingestion import remove

    first = ingest([f"{site.url}/news/market.html"], settings, embedder=embedder, fetch=FAST)
    drippy = settings.replace(fetch_deadline=1)
    for path in ("/drip-headers.html", "/drip.html"):
        done = {}
        started = time.monotonic()
        fetching = threading.Thread(target=lambda path=path, done=done: done.setdefault("report", ingest(
            [f"{site.url}{path}"], drippy, embedder=embedder,
            fetch=FetchPolicy.for_settings(drippy, timeout_s=10.0))))
        fetching.start()
        time.sleep(0.3)
        assert remove(["no-such-article"], settings).not_found == ["no-such-article"]  # not waiting on the fetch
        fetching.join(timeout=30)
        took = time.monotonic() - started
        assert 0.9 < took < 3, (path, took)
        (failure,) = done["report"].failed
        assert "took longer than 1 s in all: stopped" in str(failure), failure
    assert first.ok


def test_a_slow_page_is_fetched_before_the_write_lock_so_a_remove_does_not_wait(site, settings, embedder):
    """While `qa ingest URL` waits 1.5 s on a slow server, `qa remove` in the meantime goes
    through at once: the page is fetched before the index's write lock is taken."""
    import threading
    import time

    from index.ingestion import remove

    first = ingest([f"{site.url}/news/market.html"], settings, embedder=embedder, fetch=FAST)
    assert first.ok and len(first.added) == 1
    slow = FetchPolicy(timeout_s=10.0, max_bytes=1_000_000, max_redirects=3)
    done = {}
    fetching = threading.Thread(target=lambda: done.setdefault(
        "report", ingest([f"{site.url}/slow"], settings, embedder=embedder, fetch=slow)))
    fetching.start()
    time.sleep(0.5)
    started = time.monotonic()
    removed = remove([str(first.added[0])], settings)
    waited = time.monotonic() - started
    fetching.join(timeout=30)
    assert removed.removed and waited < 1.5, waited
    assert len(done["report"].added) == 1  # the slow page landed afterwards


def test_one_odd_feed_item_fails_alone(site, settings, embedder, tmp_path):
    """Feed items that redirect to data:, or are no urls at all, are each one line of the
    report; a good file, a good url and the feed's good item land in the same run."""
    note = tmp_path / "note.md"
    note.write_text("# Harbour note\n\nThe harbour council met on Tuesday and agreed to dredge the channel.\n")
    report = ingest([note, f"{site.url}/news/ferry.html"], settings, embedder=embedder, fetch=FAST,
                    feeds=[Feed(f"{site.url}/odd-feed.xml", "feed")])
    assert len(report.added) == 3, report.failed
    why = " | ".join(f.reason for f in report.failed)
    assert len(report.failed) == 3 and "not an http(s) url" in why, why
    assert reasons(report)["to-data"].startswith("the reply redirects to a url that cannot be fetched"), why


def test_the_private_address_check_looks_up_the_host_httpx_connects_to(monkeypatch):
    """The check sits in httpx's own connection, so it resolves the name httpx connects to:
    "faß.example" as IDNA 2008's xn--fa-hia.example, not IDNA 2003's fass.example."""
    import socket

    asked: list[str] = []

    def resolve(host, *args, **kwargs):
        asked.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 80))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with Fetcher(FetchPolicy(timeout_s=1.0, robots=False, allow_private=False)) as fetcher:
        with pytest.raises(FetchError, match="refused: xn--fa-hia.example is a loopback address"):
            fetcher.page("http://faß.example/page")
    assert asked == ["xn--fa-hia.example"]


@pytest.mark.parametrize("address, kind", [
    ("::127.0.0.1", "a loopback"),  # IPv4-compatible
    ("64:ff9b::7f00:1", "a loopback"),  # NAT64
    ("2002:7f00:1::1", "a loopback"),  # 6to4
    ("2002:a00:1::1", "a private"),  # 6to4 of 10.0.0.1
    ("::ffff:192.168.1.1", "a private"),  # IPv4-mapped
    ("fec0::1", "a private"),  # site-local
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "a loopback"),  # Teredo, client 127.0.0.1
])
def test_ipv6_forms_of_private_addresses_are_refused(monkeypatch, address, kind):
    """An IPv6 address that carries a private IPv4 one reaches it: refused before a connect."""
    import socket

    from index.web.addresses import address_kind

    assert address_kind(address) == kind
    assert address_kind("64:ff9b::808:808") is None and address_kind("2002:808:808::1") is None  # 8.8.8.8
    monkeypatch.setattr(socket, "getaddrinfo",
                        lambda host, *a, **k: [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, 80, 0, 0))])
    with Fetcher(FetchPolicy(timeout_s=1.0, robots=False, allow_private=False)) as fetcher:
        with pytest.raises(FetchError, match=f"refused: sneaky.example is {kind} address"):
            fetcher.page("http://sneaky.example/page")


def test_the_fetch_connects_to_the_address_it_checked(site, monkeypatch):
    """DNS rebinding: the name answers a public address to the check and 127.0.0.1 to the connect.
    The fetch resolves once, where it connects, and connects to what it checked; nothing leaves
    this machine (a connection to anything but the loopback is refused here, before a packet)."""
    import socket

    from index.web.fetch import Fetcher

    port = int(site.url.rsplit(":", 1)[1])
    real_resolve, real_connect = socket.getaddrinfo, socket.create_connection
    answers = iter(["93.184.215.14"] + ["127.0.0.1"] * 10)
    tried: list[str] = []

    def rebinding(host, *args, **kwargs):
        if host != "rebind.example":
            return real_resolve(host, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    def loopback_only(address, *args, **kwargs):
        tried.append(address[0])
        if address[0] != "127.0.0.1":
            raise ConnectionRefusedError(111, "Connection refused")
        return real_connect(address, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    monkeypatch.setattr(socket, "create_connection", loopback_only)
    with Fetcher(FetchPolicy(timeout_s=1.0, robots=False, allow_private=False)) as fetcher:
        with pytest.raises(FetchError, match="cannot connect"):
            fetcher.page(f"http://rebind.example:{port}/news/market.html")
        with pytest.raises(FetchError, match="refused: rebind.example is a loopback address"):
            fetcher.page(f"http://rebind.example:{port}/news/market.html")  # the next answer: refused
    assert tried == ["93.184.215.14"] and site.requests["/news/market.html"] == 0


def test_the_charset_http_names_is_how_the_page_is_read(site, settings, embedder):
    report = ingest([f"{site.url}/latin1.html"], settings, embedder=embedder, fetch=FAST)
    assert len(report.added) == 1, report.failed
    store = Store(IndexDir(settings.index_dir).database_path)
    try:
        (text,) = store.fetch("SELECT text FROM articles")[0]
    finally:
        store.close()
    assert text.startswith("\u00c0 Montr\u00e9al, la soci\u00e9t\u00e9 \u00e9lectrique a annonc\u00e9"), text[:60]
    from index.web.fetch import Response

    def read(kind: str, body: bytes):
        return Response("http://x/", 200, "text/html", body, {"content-type": kind}).text()

    assert read("text/html; charset=iso-8859-1", b"5 \x80") == "5 \u20ac"  # as browsers read the label: windows-1252
    assert read('text/html; Charset="UTF-8"', "\u00e9".encode()) == "\u00e9"
    assert read("text/html", b"x") is None and read("text/html; charset=no-such-thing", b"x") is None


def test_a_big_feed_is_taken_in_slices_and_refresh_reaches_its_last_item(site, settings, embedder):
    """Past the per-run cap, the rest of a feed's new links wait for the next run, which asks
    for the whole feed again (no conditional request while links are left)."""
    policy = FetchPolicy(timeout_s=1.0, max_links=5)
    first = ingest([], settings, embedder=embedder, feeds=[Feed(f"{site.url}/big-feed.xml", "feed")], fetch=policy)
    assert len(first.added) == 5 and first.ok
    assert [str(n) for n in first.warnings] == [f"{site.url}/big-feed.xml: 7 more new links than the 5 taken per "
                                                "run: `qa refresh` takes the next ones"]
    second = refresh(settings, fetch=policy, embedder=embedder)
    assert len(second.added) == 5 and len(second.skipped) == 5  # the first five: held, not fetched again
    third = refresh(settings, fetch=policy, embedder=embedder)
    assert len(third.added) == 2 and not third.warnings
    assert all(site.requests[f"/gen/{n}.html"] == 1 for n in range(12))
    site.conditional.clear()
    assert refresh(settings, fetch=policy, embedder=embedder).added == []
    assert site.conditional == ["/big-feed.xml"]  # all taken: asked conditionally again


def test_a_url_with_a_password_is_fetched_but_the_password_never_stored(site, settings, embedder):
    host = site.url.removeprefix("http://")
    report = ingest([f"http://ana:s3cret@{host}/news/market.html"], settings, embedder=embedder, fetch=FAST)
    assert len(report.added) == 1, report.failed
    store = Store(IndexDir(settings.index_dir).database_path)
    try:
        stored = store.fetch("SELECT url, origin FROM articles")
    finally:
        store.close()
    assert stored and all("s3cret" not in str(v) and "ana:" not in str(v) for row in stored for v in row), stored


LEDGER_PAGE = """<!doctype html><html><head><meta charset="utf-8">
<title>Ferry berths to be rebuilt before winter | The Harbour Ledger</title></head>
<body><header><p>The Harbour Ledger</p></header><h1>Ferry berths to be rebuilt before winter</h1>
<p>By Nadia Ferreira \u00b7 21 November 2024</p>
<p>The harbour board voted on Tuesday to rebuild the two ferry berths at the north quay before the winter
storms, after inspectors found the timber piles had rotted through in places.</p>
<p>Work will start next month and cost about 2.4 million, the board said.</p></body></html>"""


@pytest.mark.browser
def test_a_pdf_headless_chromium_printed_is_dated_and_credited_from_its_first_page(tmp_path):
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip(f"no Chromium at {chromium}: `make test` installs Debian's chromium package")
    page, printed = tmp_path / "ledger.html", tmp_path / "ledger.pdf"
    page.write_text(LEDGER_PAGE, encoding="utf-8")
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", f"--print-to-pdf={printed}",
                    page.as_uri()], capture_output=True, timeout=120, check=True)
    article = pdf_format.parse(printed.read_bytes(), str(printed))
    assert (article.published, article.byline, article.source, article.title) == (
        "2024-11-21", "Nadia Ferreira", "The Harbour Ledger", "Ferry berths to be rebuilt before winter")
    assert article.text.startswith("The harbour board voted on Tuesday") and " PM " not in article.text


def test_a_url_httpx_cannot_parse_is_not_said_to_redirect():
    from index.web import Fetcher

    with Fetcher(FetchPolicy(robots=False, timeout_s=2.0)) as fetcher:
        with pytest.raises(FetchError, match=r"the url cannot be fetched \(Invalid non-printable ASCII"):
            fetcher.get("http://127.0.0.1:9/\x00a")
