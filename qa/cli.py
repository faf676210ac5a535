"""The ``qa`` command: a thin layer that parses flags, calls the library and prints.

Errors from the library become one line on stderr and exit code 1. Other packages add
commands through the ``article_qa.commands`` entry point group (``qa serve`` comes
from the ``ui`` package that way, so ``qa`` itself never imports the UI).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
from importlib.metadata import entry_points
from pathlib import Path

import click

from index import Feed, FetchPolicy, JsonlFields
from qa import render
from qa.api import backup as backup_index
from qa.api import check as check_index
from qa.api import compact as compact_index
from qa.api import ingest as ingest_articles
from qa.api import list_articles
from qa.api import refresh as refresh_feeds
from qa.api import remove as remove_articles
from qa.api import repair as repair_index
from qa.choices import EVAL_METHODS, ORDERS
from qa.errors import QAError
from qa.evaluation import evaluate
from qa.export import conversation_markdown
from qa.options import settings_options
from qa.render import safe
from qa.retriever import Index
from qa.settings import Settings


class QAGroup(click.Group):
    """Turns every error into a one-line message and exit code 1 (``-vv`` shows tracebacks)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except QAError as exc:
            raise click.ClickException(render.safe(" ".join(str(exc).split()))) from None
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except KeyboardInterrupt as exc:
            click.echo(render.interrupted(getattr(exc, "report", None)), err=True)
            sys.exit(130)
        except Exception as exc:
            if ctx.params.get("verbose", 0) >= 2:
                raise
            message = render.safe(" ".join(f"{type(exc).__name__}: {exc}".split()))
            raise click.ClickException(f"unexpected error: {message} (run `qa -vv ...` for the traceback)") from None


@click.group(cls=QAGroup)
@click.option("-v", "--verbose", count=True, help="Log more (-v info, -vv debug).")
@click.version_option(package_name="article-qa")
def main(verbose: int) -> None:
    """Ask questions of your news articles; get the passages that answer them, cited."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    _quiet_third_party(verbose)


@main.command()
@click.argument("paths", nargs=-1)
@click.option("--feed", "feed_urls", multiple=True, metavar="URL",
              help="An RSS or Atom feed: ingest the articles it links to and follow it (qa refresh).")
@click.option("--sitemap", "sitemap_urls", multiple=True, metavar="URL",
              help="A (news) sitemap: ingest the pages it lists and follow it (qa refresh).")
@click.option("--ignore-robots", is_flag=True, help="Fetch urls even where robots.txt disallows it.")
@click.option("--rebuild", is_flag=True, help="Delete the index first and build it anew.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.option("--encoding", default=None, help="tiktoken encoding for chunk sizes [env QA_ENCODING].")
@click.option("--chunk-tokens", type=int, default=None, help="Chunk size in tokens [env QA_CHUNK_TOKENS].")
@click.option("--chunk-overlap", type=int, default=None, help="Overlap in tokens [env QA_CHUNK_OVERLAP].")
@click.option("--batch-size", type=int, default=None, help="Embedding batch size [env QA_BATCH_SIZE].")
@click.option("--sentence-vectors", type=click.Choice(["encoded", "pooled"]), default=None,
              help="encoded: each sentence through the model; pooled: from its chunk's pass, ~1.45x faster "
                   "[env QA_SENTENCE_VECTORS; default: the index's own, a new one encoded].")
@click.option("--max-file-mb", type=int, default=None,
              help="Largest one-article file, in MB [env QA_MAX_FILE_MB; default 20].")
@click.option("--id-field", default="id", show_default=True, help="JSON Lines key of the article id.")
@click.option("--title-field", default="title", show_default=True, help="JSON Lines key of the title.")
@click.option("--text-field", default="text", show_default=True, help="JSON Lines key of the body.")
@click.option("--url-field", default="url", show_default=True, help="JSON Lines key of the link.")
@click.option("--date-field", default="date", show_default=True, help="JSON Lines key of the date.")
@click.option("--source-field", default="source", show_default=True, help="JSON Lines key of the outlet.")
@click.option("--author-field", default="author", show_default=True, help="JSON Lines key of the byline.")
@click.option("--ray", "ray_address", is_flag=False, flag_value="local", default=None, metavar="[ADDRESS]",
              help="Read, chunk and encode on a Ray cluster: its head's host:port, `auto`, or no value for a "
                   "local one (needs the cluster extra).")
@click.option("--ray-actor-cpus", type=int, default=None,
              help="Cores per encoding actor with --ray [env QA_RAY_ACTOR_CPUS; default 1].")
@click.option("--shards", type=int, default=None, metavar="N",
              help="Make --index-dir (new) a set of N shards, each article in the one its id hashes to; "
                   "`qa serve --ray` serves one replica per shard. An existing set needs no flag.")
@settings_options
def ingest(paths, rebuild, quiet, encoding, chunk_tokens, chunk_overlap, batch_size, sentence_vectors, max_file_mb,
           id_field, title_field, text_field, url_field, date_field, source_field, author_field, ray_address,
           ray_actor_cpus, shards, feed_urls, sitemap_urls, ignore_robots, settings: Settings) -> None:
    """Add the articles in PATHS to the index: files or folders (.txt .md .html .pdf .jsonl)
    and http(s) urls of pages.

    Unchanged articles are skipped, changed ones replaced. Exits 1 if anything failed.
    """
    feeds = [Feed(u, "feed") for u in feed_urls] + [Feed(u, "sitemap") for u in sitemap_urls]
    if not paths and not feeds:
        if ray_address and Path(ray_address).exists():  # `--ray demo/articles` took the folder as the address
            raise click.UsageError(f"--ray took {ray_address!r} as the Ray address, but it is a path: put the "
                                   f"paths first, `qa ingest {ray_address} --ray` (or give the address: "
                                   "--ray HOST:PORT)")
        raise click.UsageError("give files, folders or urls to ingest (or --feed URL / --sitemap URL)")
    settings = settings.replace(encoding=encoding, chunk_tokens=chunk_tokens, chunk_overlap=chunk_overlap,
                                batch_size=batch_size, max_file_mb=max_file_mb, sentence_vectors=sentence_vectors,
                                ray_actor_cpus=ray_actor_cpus)
    fields = JsonlFields(id=id_field, title=title_field, text=text_field, url=url_field, date=date_field,
                         source=source_field, byline=author_field)
    try:
        report = ingest_articles(paths, settings=settings, rebuild=rebuild, fields=fields, progress=not quiet,
                                 ray=ray_address, feeds=feeds, shards=shards,
                                 fetch=FetchPolicy.for_settings(settings, robots=not ignore_robots))
    except QAError as exc:
        done = getattr(exc, "report", None)
        if done is not None and (done.added or done.updated):
            click.echo(f"stopped after committing: {render.ingest_report(done)}", err=True)
        raise
    click.echo(render.ingest_report(report))
    if not report.ok:
        sys.exit(1)


@main.command()
@click.argument("question")
@click.option("-k", "--top-k", "k", type=int, default=None, help="How many passages [default 5].")
@click.option("--since", default=None, help="Only articles published on or after this date (YYYY-MM-DD).")
@click.option("--until", default=None, help="Only articles published on or before this date.")
@click.option("--source", "sources", multiple=True, help="Only articles from this outlet (repeatable).")
@click.option("--order", "order_by", type=click.Choice(list(ORDERS)), default="relevance",
              show_default=True, help="Order of the passages; oldest gives a timeline.")
@click.option("--recent", is_flag=True, help="Prefer recent articles.")
@click.option("--as-of", "as_of", default=None,
              help="Ask as on this day (YYYY-MM-DD): later articles left out, 'this week' is that week "
                   "[default: today, nothing left out].")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text (same as --format json).")
@click.option("--format", "output", type=click.Choice(["text", "json", "md"]), default="text", show_default=True,
              help="md: Markdown with numbered citations, to paste into notes.")
@click.option("--passages", "full", is_flag=True,
              help="Print each passage in full, its answering sentence marked, with its scores (docs/scores.md).")
@settings_options
def ask(question: str, k: int | None, since, until, sources, order_by, recent, as_of, as_json: bool, output: str,
        full: bool, settings: Settings) -> None:
    """Answer QUESTION from the index: the answer, the sentence that holds it, and its sources."""
    with Index.open(settings=settings) as index:
        result = index.ask(question, k, since=since, until=until, sources=list(sources), order_by=order_by,
                           prefer_recent=recent, as_of=as_of)
    if as_json or output == "json":
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    elif output == "md":
        click.echo(safe(conversation_markdown([result], title=f"article-qa: {result.question}")))
    else:
        click.echo(render.answer(result, passages=full))


@main.command()
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.option("--ignore-robots", is_flag=True, help="Fetch pages even where robots.txt disallows it.")
@settings_options
def refresh(quiet: bool, ignore_robots: bool, settings: Settings) -> None:
    """Fetch what is new in the feeds and sitemaps the index follows (added with --feed / --sitemap)."""
    report = refresh_feeds(settings=settings, progress=not quiet,
                           fetch=FetchPolicy.for_settings(settings, robots=not ignore_robots))
    click.echo(render.ingest_report(report))
    if not report.ok:
        sys.exit(1)


@main.command(name="eval")
@click.argument("data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--index", "eval_index", type=click.Path(path_type=Path), default=None,
              help="Reuse (or build) the index here instead of a scratch one.")
@click.option("--method", "methods", multiple=True,
              type=click.Choice(["default", *EVAL_METHODS]),
              help="Retrieval to evaluate (repeatable) [default: the settings].")
@click.option("--every", type=int, default=1, show_default=True, help="Use every n-th question.")
@click.option("--dated", is_flag=True,
              help="Ask each question as of its question_date (later articles left out, 'this week' is that week).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@settings_options
def eval_(data_dir: Path, eval_index, methods, every: int, dated: bool, quiet: bool, as_json: bool,
          settings: Settings) -> None:
    """Recall@1/5/10, MRR@10 and latency on DATA_DIR (articles.jsonl + questions.jsonl)."""
    results = [evaluate(data_dir, index_dir=eval_index, settings=settings, method=m, every=every, dated=dated,
                        progress=not quiet) for m in (methods or ["default"])]
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in results], indent=2))
    else:
        click.echo(render.eval_table(results))


@main.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@settings_options
def list_(as_json: bool, settings: Settings) -> None:
    """List the articles in the index: id, date, chunks, title."""
    articles = list_articles(settings=settings)
    if as_json:
        click.echo(json.dumps([dataclasses.asdict(a) for a in articles], indent=2, ensure_ascii=False))
    else:
        click.echo(render.article_list(articles))


@main.command()
@click.argument("targets", nargs=-1, required=True)
@settings_options
def remove(targets: tuple[str, ...], settings: Settings) -> None:
    """Remove articles by ID, or all articles ingested from a PATH (file or folder)."""
    report = remove_articles(targets, settings=settings)
    click.echo(render.remove_report(report))
    if not report.ok:
        sys.exit(1)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@settings_options
def info(as_json: bool, settings: Settings) -> None:
    """Show what the index holds and how it was built."""
    with Index.open(settings=settings) as index:
        facts = index.info(quick_check=True)
    click.echo(json.dumps(facts.to_dict(), indent=2) if as_json else render.info(facts))


@main.command(name="check")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@settings_options
def check_(as_json: bool, settings: Settings) -> None:
    """Check every part of the index; exit 1 and say the fix for each problem found."""
    report = check_index(settings=settings)
    click.echo(json.dumps(report.to_dict(), indent=2) if as_json else render.check_report(report))
    if not report.ok:
        sys.exit(1)


@main.command(name="repair")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@settings_options
def repair_(quiet: bool, as_json: bool, settings: Settings) -> None:
    """Rebuild what can be rebuilt from what is intact: the vector file, the keyword index,
    the manifest, a damaged database from its intact articles. Needs no original file."""
    report = repair_index(settings=settings, progress=not quiet and not as_json)
    click.echo(json.dumps(report.to_dict(), indent=2) if as_json else render.repair_report(report))
    if not report.ok:
        sys.exit(1)


@main.command(name="compact")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@settings_options
def compact_(as_json: bool, settings: Settings) -> None:
    """Merge the vector segments into one (approximate search past a size) and drop the vectors
    of removed articles. Ingests merge small segments on their own; this merges everything."""
    report = compact_index(settings=settings)
    click.echo(json.dumps(report.to_dict(), indent=2) if as_json else render.compact_report(report))


@main.command(name="backup")
@click.argument("dest", type=click.Path(path_type=Path))
@click.option("--no-cache", is_flag=True, help="Leave the embedding cache out (smaller; re-ingests embed again).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@settings_options
def backup_(dest: Path, no_cache: bool, as_json: bool, settings: Settings) -> None:
    """Copy the index to DEST (a new path) while it serves and ingests: one committed generation,
    checked whole before it appears. Restore by pointing --index-dir (or QA_INDEX_DIR) at DEST."""
    report = backup_index(dest, settings=settings, cache=not no_cache)
    click.echo(json.dumps(report.to_dict(), indent=2) if as_json else render.backup_report(report))


def _quiet_third_party(verbose: int) -> None:
    if verbose:
        return
    for name in ("faiss", "sentence_transformers", "transformers", "httpx"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _load_plugins() -> None:
    for entry in entry_points(group="article_qa.commands"):
        if entry.name not in main.commands:
            main.add_command(entry.load(), entry.name)


_load_plugins()
