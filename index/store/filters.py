"""Which articles a search may return: dates and outlets, applied before ranking."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Filter:
    """Which articles a search may return. Dates are ISO strings, inclusive."""

    since: str | None = None
    until: str | None = None
    sources: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.since or self.until or self.sources)

    def sql(self, alias: str = "a") -> tuple[str, list]:
        """A WHERE condition on the articles table (aliased ``alias``) and its parameters."""
        parts, params = [], []
        if self.since:
            parts.append(f"{alias}.published >= ?")
            params.append(self.since)
        if self.until:
            parts.append(f"{alias}.published <= ?")
            params.append(self.until)
        if self.sources:
            parts.append(f"lower({alias}.source) IN ({','.join('?' * len(self.sources))})")
            params += [s.lower() for s in self.sources]
        return (" AND ".join(parts) or "1"), params
