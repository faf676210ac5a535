"""A shard set: N ordinary index directories under one directory, and its manifest.

    DIR/shards.json   {"format": 1, "count": 4, "model": "...", "shards": ["shard-00", ...]}
    DIR/shard-00/     a complete index (manifest.json, database, vectors, keywords-*/)
    ...

Each article lives in exactly one shard, chosen by a stable hash of its id
(:func:`shard_of`: BLAKE2b of the id, modulo the count), so an ingest, a removal or a
refresh finds it again without asking the others. The set's manifest is written before
any shard holds an article and never changes afterwards; each shard keeps its own
manifest, generations and crash safety (docs/storage.md). A set is refused when a shard is
missing or the shards disagree with the set (model, format): the error names both values
and the fix.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from index.directory import IndexDir
from index.errors import IndexWriteError, SettingsError, ShardSetError

SHARDS_FILE = "shards.json"
SHARDS_FORMAT = 1
MAX_SHARDS = 256  # global chunk ids keep the shard in their low byte (index/shards/fanout.py)


def shard_of(article_id: str, count: int) -> int:
    """The shard (0..count-1) that holds ``article_id``: the same on every machine and run."""
    digest = hashlib.blake2b(article_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") % count


@dataclass(frozen=True)
class ShardFilter:
    """Keeps the articles of one shard (picklable: Ray's parse tasks take it along)."""

    shard: int
    count: int

    def __call__(self, article_id: str) -> bool:
        return shard_of(article_id, self.count) == self.shard


@dataclass(frozen=True)
class ShardSet:
    path: Path
    count: int
    model: str
    names: tuple[str, ...]
    format: int = SHARDS_FORMAT

    @property
    def dirs(self) -> list[Path]:
        return [self.path / name for name in self.names]

    def dir_of(self, article_id: str) -> Path:
        return self.dirs[shard_of(article_id, self.count)]

    def to_json(self) -> str:
        return json.dumps({"format": self.format, "count": self.count, "model": self.model,
                           "shards": list(self.names)}, indent=2) + "\n"


def is_shard_set(path: str | os.PathLike) -> bool:
    return (Path(path) / SHARDS_FILE).is_file()


def check_count(count: int) -> int:
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_SHARDS:
        raise SettingsError(f"--shards {count!r}: use a whole number from 1 to {MAX_SHARDS}")
    return count


def create_shard_set(path: str | os.PathLike, count: int, model: str) -> ShardSet:
    """The set at ``path`` (a new or empty directory), its manifest written and fsynced first."""
    path = Path(path)
    check_count(count)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise SettingsError(f"--shards {count}: {path} is not empty (it holds one index, or other files); "
                            f"shard into a new directory, e.g. --index-dir {path}-shards")
    shards = ShardSet(path, count, model, tuple(f"shard-{i:02d}" for i in range(count)))
    try:
        path.mkdir(parents=True, exist_ok=True)
        staged = path / (SHARDS_FILE + ".tmp")
        with open(staged, "w", encoding="utf-8") as handle:
            handle.write(shards.to_json())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(staged, path / SHARDS_FILE)
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    except OSError as exc:
        raise IndexWriteError(f"cannot create the shard set at {path} ({exc.strerror or exc}): "
                              "free space or fix the permissions, then ingest again") from exc
    return shards


def read_shard_set(path: str | os.PathLike) -> ShardSet:
    """The set's manifest as written (shards are not looked at: see :func:`check_shards`)."""
    path = Path(path)
    where = path / SHARDS_FILE
    try:
        data = json.loads(where.read_text(encoding="utf-8"))
        count, model, names = int(data["count"]), str(data["model"]), tuple(str(n) for n in data["shards"])
        version = int(data["format"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ShardSetError(f"{where} cannot be read ({exc}): restore it from a backup of the set "
                            "(`qa backup` copies it), or write it again with the shards' names") from exc
    if version != SHARDS_FORMAT:
        raise ShardSetError(f"{where} has format {version}, this version of article-qa reads format "
                            f"{SHARDS_FORMAT}: upgrade article-qa, or re-shard the articles into a new directory")
    if count != len(names) or not 1 <= count <= MAX_SHARDS:
        raise ShardSetError(f"{where} says count {count} but lists {len(names)} shards: "
                            "restore it from a backup of the set")
    return ShardSet(path, count, model, names, version)


def check_shards(shards: ShardSet, model: str | None = None) -> None:
    """Refuse a set with a missing shard, or a shard built otherwise than the set says (or a
    ``model`` asked for that is not the set's)."""
    if model is not None and model != shards.model:
        raise ShardSetError(f"the shard set {shards.path} was built with model {shards.model!r}, but the "
                            f"settings ask for {model!r}: use --model {shards.model} (or QA_MODEL)")
    for name, folder in zip(shards.names, shards.dirs):
        check_shard(shards.path, name, folder, shards.model)


def check_shard(set_path: Path, name: str, folder: Path, model: str) -> None:
    """Refuse one shard of the set at ``set_path`` that is missing, or built with another model
    than the set's ``model``."""
    index_dir = IndexDir(folder)
    if not index_dir.exists():
        raise ShardSetError(f"shard {name} of {set_path} is missing ({folder} holds no index): restore "
                            f"it from a backup (`qa backup --index-dir {folder}` made one), or ingest its "
                            f"articles again with `qa ingest PATHS --index-dir {set_path}`")
    manifest = index_dir.read_manifest()
    if manifest.model != model:
        raise ShardSetError(f"shard {name} was built with model {manifest.model!r}, the set {set_path} "
                            f"with {model!r}: rebuild that shard with `qa ingest --rebuild --model "
                            f"{model} --index-dir {set_path} PATHS`")
