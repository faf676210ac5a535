"""What an ingest or a removal did, article by article: the reports the CLI, the web chat and
the Python API show."""

from __future__ import annotations

from dataclasses import dataclass, field

from index.errors import ArticleError


@dataclass(frozen=True)
class Notice:
    """Something an ingest did that the user should know about, though nothing failed."""

    source: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


@dataclass
class IngestReport:
    """What an ingest did, article by article."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (article id, reason)
    failed: list[ArticleError] = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)  # stored, but read with a repair (encoding, cache)
    chunks: int = 0  # chunks written
    sentences: int = 0  # sentences written
    embedded: int = 0  # texts that went through the model
    reused: int = 0  # texts whose vectors came from the embedding cache
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        return (f"{len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
                f"{len(self.skipped)} skipped, {len(self.failed)} failed; {self.chunks} chunks written, "
                f"{self.embedded} texts embedded, {self.reused} from the cache, in {self.seconds:.1f}s")


@dataclass
class RemoveReport:
    removed: list[str] = field(default_factory=list)  # article ids
    not_found: list[str] = field(default_factory=list)  # targets that named nothing

    @property
    def ok(self) -> bool:
        return not self.not_found
