"""Articles in: the front door (files, urls, feeds and sitemaps, a Ray cluster) over one
pipeline that chunks, embeds and commits them; removing them; refreshing feeds."""

from index.ingestion.cluster import connect as connect_ray
from index.ingestion.front import followed_feeds, ingest, refresh, remove
from index.ingestion.pipeline import store_articles, store_articles_locked
from index.ingestion.web import fetch_web, save_feeds

__all__ = [
    "connect_ray", "fetch_web", "followed_feeds", "ingest", "refresh", "remove", "save_feeds", "store_articles",
    "store_articles_locked"
]
