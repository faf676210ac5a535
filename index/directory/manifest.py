"""``manifest.json``: what produced an index, so it is never mixed with other settings."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from index.errors import IndexCorruptError, IndexMismatchError
from index.settings import IndexSettings
from index.store import dump, repair_hint, segment_file

FORMAT_VERSION = 1


def package_version() -> str:
    try:
        return metadata.version("article-qa")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Manifest:
    model: str
    dimension: int
    max_seq_length: int
    encoding: str
    chunk_tokens: int
    chunk_overlap: int
    sentence_vectors: str = "encoded"
    articles: int = 0
    chunks: int = 0
    sentences: int = 0
    generation: int = 0
    segments: str = "[]"  # the generation's vector files (JSON, as in the database: index/store/segments.py)
    removed_vectors: int = 0  # vectors still in a segment whose chunk was removed
    format_version: int = FORMAT_VERSION
    package_version: str = ""
    created_at: str = ""
    updated_at: str = ""

    @classmethod
    def new(cls, settings: IndexSettings, model: str, dimension: int, max_seq_length: int) -> Manifest:
        now = _now()
        return cls(model=model, dimension=dimension, max_seq_length=max_seq_length,
                   encoding=settings.encoding, chunk_tokens=settings.chunk_tokens,
                   chunk_overlap=settings.chunk_overlap, sentence_vectors=settings.sentence_vectors or "encoded",
                   package_version=package_version(),
                   created_at=now, updated_at=now)

    def updated(self, generation: int, counts: dict[str, int], segments: str = "[]",
                removed_vectors: int = 0) -> Manifest:
        """This manifest at another generation, with new counts and vector segments."""
        return replace(self, generation=generation, updated_at=_now(), package_version=package_version(),
                       segments=segments, removed_vectors=removed_vectors, **counts)

    def at_state(self, state, counts: dict[str, int]) -> Manifest:
        """This manifest at a database's committed ``state`` (its generation, segments and
        removed ids: :meth:`index.store.Store.state`) with its row ``counts``."""
        return self.updated(state.generation, counts, dump(state.segments), len(state.removed))

    # -- the copy kept in the database (so a lost manifest can be rebuilt) -----------------

    BUILD_FIELDS = ("model", "dimension", "max_seq_length", "encoding", "chunk_tokens", "chunk_overlap",
                    "sentence_vectors",
                    "created_at")

    def build_record(self) -> str:
        """What produced the vectors and chunks, as JSON for the database's meta table."""
        return json.dumps({name: getattr(self, name) for name in self.BUILD_FIELDS}, sort_keys=True)

    @classmethod
    def from_build_record(cls, record: str) -> Manifest:
        try:
            data = json.loads(record)
            data.setdefault("sentence_vectors", "encoded")  # recorded since it became a choice
            return cls(**{name: data[name] for name in cls.BUILD_FIELDS}, package_version=package_version(),
                       updated_at=_now())
        except (ValueError, KeyError, TypeError) as exc:
            raise IndexCorruptError(f"the database's record of how the index was built is unreadable ({exc!r})"
                                    ) from exc

    # -- checks ----------------------------------------------------------------------------

    def disagreements(self, build: Manifest) -> list[str]:
        """How this manifest differs from the database's record of the build ``build``, one
        phrase each ("dimension 768, the database recorded 384")."""
        return [f"{name} {getattr(self, name)!r}, the database recorded {getattr(build, name)!r}"
                for name in self.BUILD_FIELDS if name != "created_at" and getattr(self, name) != getattr(build, name)]

    def check_model(self, model: str, where: Path) -> None:
        if model != self.model:
            raise IndexMismatchError(
                f"the index at {where} was built with model {self.model!r}, but the settings ask "
                f"for {model!r}: use --model {self.model} (or QA_MODEL={self.model}), or rebuild "
                f"the index for the new model with `qa ingest --rebuild --model {model} ...`"
            )

    def check_chunking(self, settings: IndexSettings, where: Path) -> None:
        wanted = {"encoding": settings.encoding, "chunk_tokens": settings.chunk_tokens,
                  "chunk_overlap": settings.chunk_overlap}
        if settings.sentence_vectors is not None:
            wanted["sentence_vectors"] = settings.sentence_vectors
        for name, value in wanted.items():
            have = getattr(self, name)
            if value != have:
                flag = name.replace("_", "-")
                raise IndexMismatchError(
                    f"the index at {where} was built with {name}={have!r}, but the settings ask for "
                    f"{name}={value!r}: use --{flag} {have} to add to it, or rebuild it with "
                    f"`qa ingest --rebuild --{flag} {value} ...`"
                )

    # -- files -----------------------------------------------------------------------------

    def to_json(self) -> dict:
        d = asdict(self)
        return {
            "format_version": d["format_version"],
            "package_version": d["package_version"],
            "embedding": {"model": d["model"], "dimension": d["dimension"],
                          "max_seq_length": d["max_seq_length"], "normalized": True,
                          "metric": "inner_product"},
            "chunking": {"tokenizer": "tiktoken", "encoding": d["encoding"],
                         "chunk_tokens": d["chunk_tokens"], "chunk_overlap": d["chunk_overlap"],
                         "sentence_vectors": d["sentence_vectors"]},
            "counts": {k: d[k] for k in ("articles", "chunks", "sentences")},
            "generation": d["generation"],
            "vectors": {"segments": json.loads(d["segments"]), "removed": d["removed_vectors"]},
            "created_at": d["created_at"],
            "updated_at": d["updated_at"],
        }

    @classmethod
    def from_json(cls, data: dict) -> Manifest:
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            raise IndexMismatchError(
                f"index format version {version!r} is not the one this article-qa reads "
                f"({FORMAT_VERSION}): rebuild the index with `qa ingest --rebuild ...`"
            )
        emb, chunking, counts = data["embedding"], data["chunking"], data.get("counts", {})
        vectors = data.get("vectors") or {}
        return cls(
            model=emb["model"], dimension=int(emb["dimension"]), max_seq_length=int(emb["max_seq_length"]),
            encoding=chunking["encoding"], chunk_tokens=int(chunking["chunk_tokens"]),
            chunk_overlap=int(chunking["chunk_overlap"]),
            sentence_vectors=str(chunking.get("sentence_vectors", "encoded")),
            articles=int(counts.get("articles", 0)), chunks=int(counts.get("chunks", 0)),
            sentences=int(counts.get("sentences", 0)), generation=int(data.get("generation", 0)),
            segments=_segments(vectors, int(data.get("generation", 0)), int(counts.get("chunks", 0))),
            removed_vectors=int(vectors.get("removed", 0)),
            format_version=data["format_version"], package_version=data.get("package_version", ""),
            created_at=data.get("created_at", ""), updated_at=data.get("updated_at", ""),
        )

    def write(self, path: Path) -> None:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)

    @classmethod
    def read(cls, path: Path) -> Manifest:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls.from_json(data)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            # the database records how the index was built: repair writes the manifest again from it
            raise IndexCorruptError(f"cannot read {path} ({type(exc).__name__}: {' '.join(str(exc).split())[:120]}):"
                                    f" {repair_hint(path.parent)}") from exc


def _segments(vectors: dict, generation: int, chunks: int) -> str:
    """The manifest's list of vector files as JSON (one file per generation in older indexes)."""
    if "segments" in vectors:
        return json.dumps(vectors["segments"])
    if not generation:
        return "[]"
    return json.dumps([{"file": segment_file(generation), "sha256": str(vectors.get("sha256", "")),
                        "bytes": int(vectors.get("bytes", 0)), "count": chunks}])
