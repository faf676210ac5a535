"""Plain-text rendering of answers and index facts, for the terminal."""

from __future__ import annotations

import functools
import re
import textwrap

import click

from index import ArticleSummary, IngestReport, RemoveReport
from qa.info import IndexInfo
from qa.search import Answer, Passage

OPEN, CLOSE = "»", "«"  # marks around the answering sentence
# C0 and C1 control characters (but newline and tab), DEL, and the bidirectional overrides
# that reorder what a terminal shows: article text must not move the cursor or set the title.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def safe(value: object) -> str:
    """``value`` as text a terminal shows literally: control characters removed."""
    return _CONTROL.sub("", str(value))


def terminal_safe(render):
    """Decorator: the renderer's whole output made terminal-safe (for renderers without styling)."""
    @functools.wraps(render)
    def rendered(*args, **kwargs) -> str:
        return safe(render(*args, **kwargs))

    return rendered


def citation(p: Passage) -> str:
    """'outlet · date · byline', leaving out what is unknown."""
    parts = [p.source, p.published, p.byline]
    return " · ".join(safe(x) for x in parts if x)


def marked_text(p: Passage) -> str:
    start, end = p.answer_span
    return safe(p.text[:start]) + OPEN + safe(p.text[start:end]) + CLOSE + safe(p.text[end:])


def passage(p: Passage, width: int = 88) -> str:
    has = "-" if p.has_answer is None else f"{p.has_answer:.2f}"
    head = f"{p.rank}. {safe(p.title)}  (score {p.score:.3f}, has_answer {has})"  # named as in docs/scores.md
    lines = [head]
    if cite := citation(p):
        lines.append(f"   {cite}")
    if p.url:
        lines.append(f"   {safe(p.url)}")
    if p.also_in:
        lines.append("   also reported by: " + "; ".join(
            " · ".join(safe(x) for x in (c.source or c.title, c.published) if x) for c in p.also_in))
    lines.append("")
    for paragraph in marked_text(p).split("\n\n"):
        lines += textwrap.wrap(paragraph, width=width, initial_indent="   ", subsequent_indent="   ")
    text = "\n".join(lines)
    # emphasize the answering sentence on terminals (click strips styles elsewhere)
    return re.sub(f"{OPEN}(.*?){CLOSE}", lambda m: OPEN + click.style(m.group(1), bold=True) + CLOSE,
                  text, flags=re.S)


def answer(result: Answer, passages: bool = False) -> str:
    """The answer and the titles of its sources (``passages``: each passage in full, its
    answering sentence marked, with its scores, explained in docs/scores.md)."""
    if not result.passages:
        return f"No passages found for {safe(result.question)!r}: the index (or the filter) holds no articles."
    searched = f"Searched for: {safe(result.searched)}\n\n" if result.searched != result.question else ""
    if result.partial:
        searched = f"Partial: {safe(result.partial)}\n\n" + searched
    if passages:
        body = "\n\n".join(passage(p) for p in result.passages)
    else:
        body = sources(result)
    if not result.answered:
        return f"{searched}Not in your articles: no direct answer. The closest passages, not answers:\n\n{body}"
    return f"{searched}{lead(result)}\n\n{body}"


def sources(result: Answer) -> str:
    """One line per passage: its number, title and citation; those far below the first
    (``Answer.less_related``) listed after them, under "Less related"."""
    def line(p: Passage) -> str:
        return f"  [{p.rank}] {safe(p.title)}" + (f" \u2014 {citation(p)}" if citation(p) else "")

    shown = [line(p) for p in result.passages if p.rank not in result.less_related]
    less = [line(p) for p in result.passages if p.rank in result.less_related]
    head = "Sources:" if result.answered else "Nearest:"
    out = [head, *shown]
    if less:
        out += [f"Less related ({len(less)}):", *less]
    return "\n".join(out)


def lead(result: Answer, width: int = 88) -> str:
    """The answer first: the short answer and the number of its passage, the quoted
    sentence with its citation, and other articles' different answers, said with their dates."""
    cited = result.passage
    if cited is None:  # answered without the reader: the best passage's sentence leads
        cited = result.passages[0]
    lines = []
    if result.text:
        when = f"{result.when}; " if result.when else ""
        lines.append(click.style(f"{result.label}: ", bold=True) + click.style(safe(result.said), bold=True)
                     + f" [{cited.rank}]  ({safe(when)}probability {result.probability:.2f} that it is right)")
    lines += textwrap.wrap(f"\u201c{safe(cited.answer)}\u201d", width=width, initial_indent="  ",
                           subsequent_indent="   ")
    lines.append(f"  \u2014 {safe(cited.title)}" + (f", {citation(cited)}" if citation(cited) else ""))
    for other in result.others:  # another article's answer: "Also — CNN, 2022-09-06: Liz Truss [2]"
        where = safe(other.where)
        lines.append(f"  Also — {where + ': ' if where else ''}{safe(other.short_answer)} [{other.rank}]")
    return "\n".join(lines)


@terminal_safe
def info(i: IndexInfo) -> str:
    dates = f"{i.earliest} to {i.latest}" if i.earliest else "no dates"
    rows = [
        ("index", i.path),
        ("articles", f"{i.articles} ({dates})"),
        ("chunks", f"{i.chunks} ({i.sentences} sentences)"),
        ("model", f"{i.model} ({i.dimension} dimensions, max {i.max_seq_length} tokens)"),
        ("chunking", f"{i.chunk_tokens} {i.encoding} tokens, {i.chunk_overlap} overlap"),
        ("generation", f"{i.generation} (updated {i.updated_at})"),
        ("vectors", f"{i.segments} segment(s), {'approximate (IVF)' if i.approximate else 'exact'} search"),
        ("on disk", ", ".join(f"{name} {_size(n)}" for name, n in i.sizes.items())
         + (f" ({_size(sum(i.sizes.get(k, 0) for k in ('database', 'vectors')) / i.chunks)} per chunk)"
            if i.chunks else "")),
        ("integrity", i.integrity),
    ]
    return "\n".join(f"{name:<11}{value}" for name, value in rows)


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


@terminal_safe
def ingest_report(report: IngestReport) -> str:
    lines = [report.summary()]
    for article_id, reason in report.skipped:
        lines.append(f"  skipped: {article_id}: {reason}")
    for error in report.failed:
        lines.append(f"  failed: {error}")
    for warning in report.warnings:
        lines.append(f"  warning: {warning}")
    return "\n".join(lines)


@terminal_safe
def interrupted(report: IngestReport | None) -> str:
    """What Ctrl+C left: for an ingest, what was kept (committed before the stop) and how to
    finish; else one word."""
    if report is None:
        return "interrupted"
    kept = len(report.added) + len(report.updated)
    return (f"interrupted: kept {kept} article(s) stored before the stop ({len(report.added)} added, "
            f"{len(report.updated)} updated, {report.chunks} chunks), {len(report.unchanged)} already there; "
            "nothing half-written. Run the same command again to add the rest: what is stored is skipped.")


@terminal_safe
def article_list(articles: list[ArticleSummary]) -> str:
    if not articles:
        return "The index holds no articles. Add some with `qa ingest PATH...`."
    rows = [(a.id, a.published or "-", str(a.chunks), a.title) for a in articles]
    widths = [max(len(r[i]) for r in rows + [("id", "date", "chunks", "")]) for i in range(3)]
    head = f"{'id':<{widths[0]}}  {'date':<{widths[1]}}  {'chunks':>{widths[2]}}  title"
    lines = [head] + [f"{i:<{widths[0]}}  {d:<{widths[1]}}  {c:>{widths[2]}}  {t}" for i, d, c, t in rows]
    return "\n".join(lines) + f"\n{len(articles)} articles"


@terminal_safe
def remove_report(report: RemoveReport) -> str:
    lines = [f"removed {len(report.removed)} articles" + (f": {', '.join(report.removed)}" if report.removed else "")]
    lines += [f"  not found: {target} (no article has that id or came from that path)" for target in report.not_found]
    return "\n".join(lines)


@terminal_safe
def check_report(report) -> str:
    facts = report.facts
    lines = [f"index      {report.path}"]
    if facts:
        lines.append(f"holds      {facts.get('articles', '?')} articles, {facts.get('chunks', '?')} passages, "
                     f"{facts.get('sentences', '?')} sentences (generation {facts.get('generation', '?')})")
    by_part = {}
    for problem in report.problems:
        by_part.setdefault(problem.part, []).append(problem)
    for part in ("manifest", "database", "vectors", "keywords", "cache"):
        problems = by_part.get(part, [])
        state = "PROBLEM" if problems else "ok" if part in report.checked else "not checked (needs the database)"
        lines.append(f"{part:<11}{state}")
        for problem in problems:
            lines.append(f"  {problem.what}")
            lines.append(f"    fix: {problem.fix}")
    lines.append("everything is intact" if report.ok else f"{len(report.problems)} problem(s) found")
    return "\n".join(lines)


@terminal_safe
def repair_report(report) -> str:
    if report.before.ok:
        return f"{report.path}: nothing to repair, every part is intact"
    lines = [f"repaired {report.path}:"] + [f"  {action}" for action in report.actions]
    for article_id in report.lost:
        origin = report.lost_origins.get(article_id)
        lines.append(f"  lost: {article_id}" + (f" (re-ingest it from {origin})" if origin else ""))
    if report.after is not None and not report.after.ok:
        lines.append("still wrong after the repair:")
        lines += [f"  {problem}" for problem in report.after.problems]
    else:
        lines.append("the index checks out intact")
    return "\n".join(lines)


def compact_report(report) -> str:
    freed = (f"; gave back {report.reclaimed_bytes / 1e6:.1f} MB of free database pages"
             if report.reclaimed_bytes else "")
    if not report.changed:
        return f"{report.path}: already one segment of {report.vectors} vectors, nothing to merge{freed}"
    kind = "approximate (IVF, 8-bit)" if report.approximate else "exact"
    return (f"{report.path}: merged {report.segments_before} vector segment(s) into {report.segments_after} "
            f"of {report.vectors} vectors ({kind}), dropping {report.removed_dropped} removed, "
            f"in {report.seconds:.1f}s{freed}")


def backup_report(report) -> str:
    return (f"{report.source} -> {report.dest}: generation {report.generation}, {report.articles} articles, "
            f"{report.chunks} passages, {len(report.files)} files, {report.bytes / 1e6:.1f} MB, checked, "
            f"in {report.seconds:.1f}s")


def eval_table(results) -> str:
    head = "| set | method | questions | R@1 | R@5 | R@10 | MRR@10 | median ms | p95 ms |"
    rows = [head, "|" + "---|" * 9]
    for r in results:
        method = f"{r.method}, dated" if r.dated else r.method
        rows.append(f"| {r.data} | {method} | {r.questions} | {r.recall_at_1:.3f} | {r.recall_at_5:.3f} | "
                    f"{r.recall_at_10:.3f} | {r.mrr_at_10:.3f} | {r.median_ms:.1f} | {r.p95_ms:.1f} |")
    return "\n".join(rows)

