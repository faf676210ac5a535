"""Articles from the web: pages by url, and the pages that feeds and sitemaps link to.

A page is fetched (see :mod:`index.web.fetch`) and read as a saved page or a PDF is: by
trafilatura (title, author, date, site name, canonical url) or pypdf. A feed (RSS or
Atom, by feedparser) or a news sitemap gives links; links the index already holds (as an
article's origin or url) are not fetched again. The feeds and sitemaps are remembered in
the index with their ETag / Last-Modified, so that ``qa refresh`` asks each for what is
new with a conditional request and fetches only the new links.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from index.directory import IndexDir, IndexWriter
from index.embed import Embedder
from index.errors import ArticleError
from index.formats import JsonlFields, html, parse_date, pdf, unexpected
from index.ingestion.pipeline import read_all, store_articles
from index.reports import IngestReport, Notice
from index.settings import IndexSettings
from index.store import Feed, Store
from index.text import Article
from index.web import Fetcher, FetchError, FetchPolicy

log = logging.getLogger(__name__)

MAX_SITEMAPS = 20  # child sitemaps read from one sitemap index
MAX_FEED_LINKS = 100_000  # links read from one feed or sitemap (its body is already size-limited)


def ingest_web(files, urls, feeds, settings: IndexSettings, report: IngestReport, fetch: FetchPolicy | None,
               *, fields: JsonlFields | None, embedder: Embedder | None, rebuild: bool, progress: bool,
               batch_chars: int) -> IngestReport:
    """Files, then urls, then the new links of feeds; the feeds' new states are recorded last.

    Every page is fetched before the index's write lock is taken (a slow server delays this
    ingest only, never another writer); each url within its policy's deadline."""
    index_dir = IndexDir(settings.index_dir)
    fetched, states = fetch_web(urls, feeds, [index_dir.database_path], fetch or FetchPolicy.for_settings(settings),
                                report)
    articles = itertools.chain(read_all(files, fields, settings.max_file_bytes, report), fetched)
    store_articles(articles, settings, report, embedder=embedder, rebuild=rebuild, progress=progress,
                   batch_chars=batch_chars)
    save_feeds(settings, states)
    return report


def fetch_web(urls: Iterable[str], feeds: Iterable[Feed], databases: list[Path], policy: FetchPolicy,
              report: IngestReport) -> tuple[list[Article], list[Feed]]:
    """(the articles of ``urls`` and of the new links of ``feeds``, the feeds' new states), all
    fetched before any write; links held by any of ``databases`` are not fetched again."""
    states: list[Feed] = []
    with Fetcher(policy) as fetcher:
        fetched = list(web_articles(urls, feeds, databases, fetcher, report, states))
    return fetched, states


def save_feeds(settings: IndexSettings, states: list[Feed]) -> None:
    """Record the feeds' new states in the index at ``settings.index_dir`` (one transaction)."""
    if not states:
        return
    index_dir = IndexDir(settings.index_dir)
    with index_dir.write_lock():
        writer = IndexWriter(index_dir, settings, embedder=None)
        try:
            with writer.store.transaction():
                for state in states:
                    writer.store.save_feed(state)
        finally:
            writer.close()


def web_articles(urls: Iterable[str], feeds: Iterable[Feed], databases: list[Path], fetcher: Fetcher,
                 report: IngestReport, states: list[Feed]) -> Iterator[Article]:
    """The articles of ``urls``, then of the new links of ``feeds`` (whose new states are
    appended to ``states`` as they are read); every failure goes to ``report``."""
    yield from fetch_articles(((url, None) for url in urls), fetcher, report)
    for feed in feeds:
        problems: list = []
        try:
            state, links = read_feed(feed, fetcher, problems)
        except ArticleError as exc:
            report.failed.append(exc)
            continue
        report.failed += [p for p in problems if isinstance(p, ArticleError)]
        report.warnings += [p for p in problems if isinstance(p, Notice)]
        known = set().union(*(known_urls(database, [link for link, _ in links]) for database in databases))
        report.skipped += [(link, "already in the index: not fetched again") for link, _ in links if link in known]
        new = [(link, date) for link, date in links if link not in known]
        cap = fetcher.policy.max_links
        if len(new) > cap:  # the rest next time: ask for the whole feed again then, not "what changed"
            report.warnings.append(Notice(feed.url, f"{len(new) - cap} more new links than the {cap} taken per "
                                                    "run: `qa refresh` takes the next ones"))
            state, new = dataclasses.replace(state, etag=None, last_modified=None), new[:cap]
        states.append(state)
        yield from fetch_articles(new, fetcher, report)


def known_urls(database: Path, urls: list[str]) -> set[str]:
    """Those of ``urls`` the index at ``database`` already holds (none when it does not exist yet)."""
    if not urls or not database.exists():
        return set()
    store = Store(database)
    try:
        return store.known_urls(urls)
    finally:
        store.close()


def fetch_articles(links: Iterable[tuple[str, str | None]], fetcher: Fetcher,
                   report: IngestReport) -> Iterator[Article]:
    """The articles of ``links`` (url, date from the feed or None), one fetch at a time;
    a failure is recorded in ``report`` and the rest go on."""
    for url, published in links:
        try:
            yield page_article(url, fetcher, published)
        except ArticleError as exc:
            log.info("failed: %s", exc)
            report.failed.append(exc)
        except Exception as exc:  # a parser's own failure on a strange page: this page only
            report.failed.append(ArticleError(url, unexpected(exc)))


def page_article(url: str, fetcher: Fetcher, published: str | None = None) -> Article:
    """The article at ``url``; its url and origin are kept without any user name or password
    the url carried (they fetch it, but are never stored or shown)."""
    response = fetcher.page(url)
    origin, fetched = without_credentials(url), without_credentials(response.url)
    if response.is_pdf:
        article = pdf.parse(response.body, origin, url=fetched)
    else:
        article = html.parse(response.text() or response.body, origin)
    changes = {}
    if not article.url or article.url != without_credentials(article.url):
        changes["url"] = without_credentials(article.url or fetched)
    if not article.published and published:
        changes["published"] = published
    return dataclasses.replace(article, **changes) if changes else article


def without_credentials(url: str) -> str:
    """``url`` without its ``user:password@`` part."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def read_feed(feed: Feed, fetcher: Fetcher, problems: list | None = None) -> tuple[Feed, list[tuple[str, str | None]]]:
    """(the feed's new state, its links) with a conditional request; no links when unchanged.
    A sitemap index's children are read each on its own: one that fails, and the children past
    the cap, are added to ``problems`` (an ArticleError or a Notice each) and the rest are read;
    the index is then asked for whole next time (no conditional request), so they are retried."""
    headers = {}
    if feed.etag:
        headers["If-None-Match"] = feed.etag
    if feed.last_modified:
        headers["If-Modified-Since"] = feed.last_modified
    response = fetcher.get(feed.url, headers)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    if response.status == 304:
        return dataclasses.replace(feed, checked_at=now), []
    found: list = []
    links = _sitemap_links(response.body, feed.url, fetcher, problems=found) if feed.kind == "sitemap" else \
        _feed_links(response.body, feed.url)
    state = Feed(feed.url, feed.kind, response.headers.get("etag"), response.headers.get("last-modified"), now)
    if found:
        state = dataclasses.replace(state, etag=None, last_modified=None)
        if problems is not None:
            problems += found
    return state, list(dict.fromkeys(links))[:MAX_FEED_LINKS]


def _feed_links(body: bytes, url: str) -> list[tuple[str, str | None]]:
    import feedparser

    parsed = feedparser.parse(body)
    if parsed.bozo and not parsed.entries:
        raise FetchError(url, f"not an RSS or Atom feed ({_short(parsed.get('bozo_exception'))})")
    links = []
    for entry in parsed.entries:
        link = entry.get("link")
        if link:
            stamp = entry.get("published_parsed") or entry.get("updated_parsed")
            links.append((link, f"{stamp.tm_year:04}-{stamp.tm_mon:02}-{stamp.tm_mday:02}" if stamp else None))
    return links


def _sitemap_links(body: bytes, url: str, fetcher: Fetcher, depth: int = 0,
                   problems: list | None = None) -> list[tuple[str, str | None]]:
    from lxml import etree

    try:
        root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False))
    except etree.XMLSyntaxError as exc:
        raise FetchError(url, f"not a sitemap: the XML does not parse ({_short(exc)})") from None
    tag = etree.QName(root).localname
    if tag == "sitemapindex":
        if depth:
            raise FetchError(url, "a sitemap index inside a sitemap index: one level is read; give this one "
                                  "with its own --sitemap")
        children = [loc for loc, _ in _locs(root, "sitemap") if loc != url]  # an index may list itself
        if not children:
            raise FetchError(url, "a sitemap index that lists no sitemap but itself: nothing to read")
        links, failed = [], []
        for loc in children[:MAX_SITEMAPS]:
            try:  # each child on its own: a bad one is one line, the others are read
                links += _sitemap_links(fetcher.get(loc).body, loc, fetcher, depth + 1)
            except ArticleError as exc:
                failed.append(exc)
        if len(failed) == len(children[:MAX_SITEMAPS]) and len(failed) == 1:
            raise failed[0]  # the index's only sitemap failed: that is the sitemap's failure
        waiting = len(children) - MAX_SITEMAPS
        notes = [Notice(url, f"{waiting} more child sitemap(s) than the {MAX_SITEMAPS} read per run were not "
                             "read: give them with their own --sitemap")] if waiting > 0 else []
        if problems is not None:
            problems += failed + notes
        return links
    if tag != "urlset":
        raise FetchError(url, f"not a sitemap (its root element is <{tag}>, not <urlset> or <sitemapindex>)")
    return _locs(root, "url")


def _locs(root, element: str) -> list[tuple[str, str | None]]:
    out = []
    for node in root:
        if not isinstance(node.tag, str) or node.tag.rsplit("}", 1)[-1] != element:
            continue
        loc = date = None
        for child in node.iter():
            name = child.tag.rsplit("}", 1)[-1] if isinstance(child.tag, str) else ""
            if name == "loc" and loc is None:
                loc = (child.text or "").strip()
            elif name in ("publication_date", "lastmod") and date is None:
                date = parse_date((child.text or "").strip()[:10])
        if loc:
            out.append((loc, date))
    return out


def _short(exc: object) -> str:
    return " ".join(str(exc).split())[:120] if exc else "unknown error"
