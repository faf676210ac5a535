"""Questions past one machine: a shard set's shards served by Ray Serve, one replica each,
asked at once by the front that holds the models (see :mod:`qa.cluster.replicas`)."""

from qa.cluster.replicas import READER_METHODS, RemoteShard, ShardReplica, place, serve_shards

__all__ = ["READER_METHODS", "RemoteShard", "ShardReplica", "place", "serve_shards"]
