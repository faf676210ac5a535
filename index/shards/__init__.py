"""An archive in shards: N ordinary indexes under one directory, each article in the one its
id hashes to, written shard by shard and read through one :class:`ShardedReader` that asks
every shard at once (on this machine, or through Ray Serve: qa/cluster)."""

from index.shards.fanout import SHARD_TIMEOUT_S, ShardedReader, open_any, open_shard_set, reader_call
from index.shards.operations import (
    backup_set,
    check_set,
    compact_set,
    ingest_set,
    refresh_set,
    remove_set,
    repair_set,
)
from index.shards.shardset import (
    MAX_SHARDS,
    SHARDS_FILE,
    ShardSet,
    check_shard,
    check_shards,
    create_shard_set,
    is_shard_set,
    read_shard_set,
    shard_of,
)

__all__ = [
    "MAX_SHARDS", "SHARDS_FILE", "SHARD_TIMEOUT_S", "ShardSet", "ShardedReader", "backup_set", "check_set",
    "check_shard", "check_shards", "compact_set", "create_shard_set", "ingest_set", "is_shard_set", "open_any",
    "open_shard_set", "read_shard_set", "reader_call", "refresh_set", "remove_set", "repair_set", "shard_of"
]
