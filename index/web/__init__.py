"""Fetching from the web, within a policy: timeouts, size limits, robots.txt, no private
addresses."""

from index.web.fetch import Fetcher, FetchError, FetchPolicy, is_url

__all__ = [
    "FetchError", "FetchPolicy", "Fetcher", "is_url"
]
