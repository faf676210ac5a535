"""What an index holds and how it was built, as ``qa info`` and :meth:`qa.Index.info` say it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class IndexInfo:
    """What an index holds and how it was built."""

    path: str
    model: str
    dimension: int
    max_seq_length: int
    encoding: str
    chunk_tokens: int
    chunk_overlap: int
    articles: int
    chunks: int
    sentences: int
    earliest: str | None
    latest: str | None
    generation: int
    created_at: str
    updated_at: str
    integrity: str = "not checked"  # the database's quick check: "ok (quick check)", or why it was not run
    segments: int = 0  # vector files
    approximate: bool = False  # searched approximately (IVF) past 200,000 passages
    sizes: dict[str, int] = field(default_factory=dict)  # bytes on disk: database, vectors, cache

    def to_dict(self) -> dict:
        return asdict(self)
