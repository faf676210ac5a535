"""Read table rows straight off an SQLite file's leaf pages, for when its b-tree is damaged.

SQLite finds a row by walking from the table's root through interior pages to a leaf; one
damaged interior page hides every row below it though the leaves that hold them are intact.
This reads the file as SQLite's file format describes it (https://sqlite.org/fileformat2.html):
every table-leaf page, its cells, their overflow chains and records, skipping pages on the
freelist (deleted rows live there) and taking the newest copy of a page from the WAL. It never
writes. What it returns is raw: the caller decides which records are rows it trusts (articles
are checked against their content hash).
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Iterator
from pathlib import Path

from index.store import varint

log = logging.getLogger(__name__)

TABLE_LEAF = 0x0D
WAL_HEADER, WAL_FRAME_HEADER = 32, 24


def leaf_records(path: Path) -> Iterator[tuple[int, list]]:
    """``(rowid, values)`` for every readable cell of every table-leaf page of the database at
    ``path`` (and its ``-wal``), in page order; a cell that cannot be decoded is skipped. A
    damaged header (its magic string overwritten, say) is read for what it still holds; the
    page size falls back to the WAL's, then to SQLite's default; a file cut short gives the
    pages it still has."""
    data = path.read_bytes()
    if len(data) < 100:
        return
    page_size = _page_size(data, Path(f"{path}-wal"))
    reserved = data[20] if data[20] < 64 else 0  # bytes SQLite reserves per page (0 unless an extension asks)
    usable = page_size - reserved
    pages = {n + 1: data[n * page_size:(n + 1) * page_size] for n in range(len(data) // page_size)}
    pages.update(_wal_pages(Path(f"{path}-wal"), page_size))
    free = _freelist(pages, struct.unpack(">I", data[32:36])[0])
    for number in sorted(pages):
        page = pages[number]
        start = 100 if number == 1 else 0
        if number in free or len(page) < page_size or page[start] != TABLE_LEAF:
            continue
        cells = struct.unpack(">H", page[start + 3:start + 5])[0]
        for i in range(cells):
            try:
                offset = struct.unpack(">H", page[start + 8 + 2 * i:start + 10 + 2 * i])[0]
                rowid, payload = _cell(pages, page, offset, usable)
                yield rowid, _record(payload)
            except (IndexError, ValueError, struct.error, UnicodeDecodeError) as exc:
                log.info("page %d cell %d unreadable: %s", number, i, exc)


def _page_size(data: bytes, wal: Path) -> int:
    """The page size the header gives; else the WAL's header's; else 4096 (SQLite's default)."""
    given = struct.unpack(">H", data[16:18])[0]
    given = 65536 if given == 1 else given
    if _power_of_two(given):
        return given
    try:
        with open(wal, "rb") as handle:
            head = handle.read(WAL_HEADER)
        from_wal = struct.unpack(">I", head[8:12])[0] if len(head) == WAL_HEADER else 0
    except OSError:
        from_wal = 0
    log.info("%s: the header gives no page size (%d); using %d", wal.name, given, from_wal or 4096)
    return from_wal if _power_of_two(from_wal) else 4096


def _power_of_two(size: int) -> bool:
    return 512 <= size <= 65536 and size & (size - 1) == 0


def _wal_pages(wal: Path, page_size: int) -> dict[int, bytes]:
    """The newest copy of each page in the write-ahead log whose frames belong to it (salts)."""
    if not wal.is_file():
        return {}
    data = wal.read_bytes()
    if len(data) < WAL_HEADER:
        return {}
    salts, found, offset = data[16:24], {}, WAL_HEADER
    while offset + WAL_FRAME_HEADER + page_size <= len(data):
        number = struct.unpack(">I", data[offset:offset + 4])[0]
        if data[offset + 8:offset + 16] == salts and number:
            found[number] = data[offset + WAL_FRAME_HEADER:offset + WAL_FRAME_HEADER + page_size]
        offset += WAL_FRAME_HEADER + page_size
    return found


def _freelist(pages: dict[int, bytes], trunk: int) -> set[int]:
    """Pages on the freelist (trunk pages and the leaves they list); stops at a damaged link."""
    free: set[int] = set()
    while trunk and trunk in pages and trunk not in free:
        page = pages[trunk]
        free.add(trunk)
        count = struct.unpack(">I", page[4:8])[0]
        if count > (len(page) - 8) // 4:
            break
        free.update(struct.unpack(f">{count}I", page[8:8 + 4 * count]))
        trunk = struct.unpack(">I", page[:4])[0]
    return free


def _cell(pages: dict[int, bytes], page: bytes, offset: int, usable: int) -> tuple[int, bytes]:
    size, offset = varint(page, offset)
    rowid, offset = varint(page, offset)
    most = usable - 35
    if size <= most:
        return _signed(rowid), page[offset:offset + size]
    least = (usable - 12) * 32 // 255 - 23
    local = least + (size - least) % (usable - 4)
    local = local if local <= most else least
    payload = bytearray(page[offset:offset + local])
    following = struct.unpack(">I", page[offset + local:offset + local + 4])[0]
    seen: set[int] = set()
    while len(payload) < size:
        if following not in pages or following in seen:
            raise ValueError(f"overflow page {following} missing")
        seen.add(following)
        chain = pages[following]
        payload += chain[4:usable][:size - len(payload)]
        following = struct.unpack(">I", chain[:4])[0]
    return _signed(rowid), bytes(payload)


def _record(payload: bytes) -> list:
    header, offset = varint(payload, 0)
    types, position = [], offset
    while position < header:
        kind, position = varint(payload, position)
        types.append(kind)
    values, offset = [], header
    for kind in types:
        if kind == 0:
            values.append(None)
        elif kind in (8, 9):
            values.append(kind - 8)
        elif 1 <= kind <= 6:
            width = (0, 1, 2, 3, 4, 6, 8)[kind]
            values.append(int.from_bytes(payload[offset:offset + width], "big", signed=True))
            offset += width
        elif kind == 7:
            values.append(struct.unpack(">d", payload[offset:offset + 8])[0])
            offset += 8
        elif kind >= 12:
            width = (kind - 12) // 2
            raw = payload[offset:offset + width]
            if len(raw) != width:
                raise ValueError("record runs past its payload")
            values.append(raw.decode("utf-8") if kind % 2 else bytes(raw))
            offset += width
        else:
            raise ValueError(f"serial type {kind}")
    return values


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value
