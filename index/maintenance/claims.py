"""A destination claimed before anything is written to it, and landed without replacing anything.

``qa backup DEST`` (and a second one a cron job starts before the first ends) meet here:

* :func:`claim` creates ``.DEST.backup-claim`` beside DEST with ``O_EXCL``: one run holds it, a
  second is told DEST is taken (by which process). A claim whose process is gone (its pid and
  start time no longer running) is stale: it and that run's staging folder are removed, and
  the claim is taken.
* each run stages into a folder of its own, ``.DEST.backup-PID.tmp``;
* :func:`land` renames the staging folder to DEST with ``renameat2(RENAME_NOREPLACE)`` (an
  existing DEST is never replaced; an empty DEST directory is removed first, under the claim),
  then fsyncs DEST's parent;
* :func:`fsync_tree` fsyncs every file and folder of the staging copy before it lands.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from index.errors import IndexBusyError, IndexWriteError

_RENAME_NOREPLACE = 1
_AT_FDCWD = -100


def _start_time(pid: int) -> str | None:
    """A process's start time (clock ticks since boot), or None when it is not running."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        try:
            os.kill(pid, 0)  # no /proc: a live pid is all we can tell
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return "?"
    return stat.rsplit(")", 1)[1].split()[19]


def _me() -> str:
    return f"{os.getpid()} {_start_time(os.getpid())}"


def claim_path(target: Path) -> Path:
    return target.parent / f".{target.name}.backup-claim"


def staging_path(target: Path, pid: int | None = None) -> Path:
    return target.parent / f".{target.name}.backup-{os.getpid() if pid is None else pid}.tmp"


def _holder(path: Path) -> tuple[int, str] | None:
    """(pid, start time) written in a claim, or None when it cannot be read."""
    try:
        pid, start = path.read_text().split()
        return int(pid), start
    except (OSError, ValueError):
        return None


@contextmanager
def claim(target: Path) -> Iterator[Path]:
    """Hold DEST for this run; yields this run's (fresh) staging folder. Released, with the
    staging folder removed, when the block ends, however it ends."""
    target.parent.mkdir(parents=True, exist_ok=True)
    path = claim_path(target)
    for _ in range(2):
        try:
            handle = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            break
        except FileExistsError:
            holder = _holder(path)
            if holder is not None and _start_time(holder[0]) in (holder[1], "?"):
                raise IndexBusyError(f"{target} is taken: another `qa backup` (pid {holder[0]}) is writing it; "
                                     "wait for it to finish, or name another DEST") from None
            if holder is None and _young(path):  # being written this instant
                raise IndexBusyError(f"{target} is taken: another `qa backup` is starting to write it; wait "
                                     "for it to finish, or name another DEST") from None
            _clean_stale(target, holder)
        except OSError as exc:
            raise IndexWriteError(f"cannot claim {target} for the backup ({exc.strerror or exc}): free space "
                                  "or fix the permissions of its folder, or name another DEST") from None
    else:
        raise IndexBusyError(f"{target} is taken: another `qa backup` claimed it meanwhile; name another DEST")
    staging = staging_path(target)
    try:
        os.write(handle, _me().encode())
        os.fsync(handle)
        os.close(handle)
        shutil.rmtree(staging, ignore_errors=True)
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def _young(path: Path, seconds: float = 5.0) -> bool:
    try:
        return time.time() - path.stat().st_mtime < seconds
    except OSError:
        return False


def _clean_stale(target: Path, holder: tuple[int, str] | None) -> None:
    """A killed run's claim and staging folder."""
    if holder is not None:
        shutil.rmtree(staging_path(target, holder[0]), ignore_errors=True)
    try:
        claim_path(target).unlink()
    except FileNotFoundError:
        pass


def leftovers(target: Path) -> list[Path]:
    """Staging folders of runs that are no longer running (a killed backup's)."""
    found = []
    for folder in target.parent.glob(f".{target.name}.backup-*.tmp"):
        pid = folder.name.rsplit("-", 1)[1].removesuffix(".tmp")
        if pid.isdigit() and int(pid) != os.getpid() and _start_time(int(pid)) is None:
            found.append(folder)
    return found


def fsync_tree(folder: Path) -> None:
    """fsync every file under ``folder``, then each folder bottom-up."""
    for root, _dirs, files in os.walk(folder, topdown=False):
        for name in files:
            _fsync(Path(root) / name, os.O_RDONLY)
        _fsync(Path(root), os.O_RDONLY | os.O_DIRECTORY)


def _fsync(path: Path, flags: int) -> None:
    handle = os.open(path, flags)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def land(staging: Path, target: Path) -> None:
    """Rename ``staging`` to ``target`` without replacing anything there, then fsync the parent."""
    if target.is_dir() and not any(target.iterdir()):
        target.rmdir()  # an empty DEST the user made: ours to fill, under the claim
    _rename_no_replace(staging, target)
    _fsync(target.parent, os.O_RDONLY | os.O_DIRECTORY)


def _rename_no_replace(source: Path, target: Path) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:  # no renameat2 (not Linux, or an old C library): the claim is what guards DEST
        if os.path.lexists(target):
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target))
        os.rename(source, target)
        return
    if renameat2(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), _RENAME_NOREPLACE) != 0:
        code = ctypes.get_errno()
        if code in (errno.ENOSYS, errno.EINVAL):  # a file system without the flag
            if os.path.lexists(target):
                raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target))
            os.rename(source, target)
            return
        raise OSError(code, os.strerror(code), str(target))
