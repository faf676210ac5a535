"""Articles in: the front door (files, urls, feeds and sitemaps, a Ray cluster) over one
pipeline that chunks, embeds and commits them; removing them; refreshing feeds."""

from index.ingestion.cluster import connect as connect_ray
from index.ingestion.front import ingest, refresh, remove
from index.ingestion.pipeline import store_articles_locked

__all__ = [
    "connect_ray", "ingest", "refresh", "remove", "store_articles_locked"
]
