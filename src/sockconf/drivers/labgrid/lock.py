"""Keeping a labgrid place to one run, and giving it back however the run ends.

- A lock file per coordinator and place (``flock``): two sockconf runs on one host never share a place;
  the operating system drops the lock when the process ends, however it ends.
- Guards for a place the run acquired: it is released at interpreter exit (a crash, Ctrl-C,
  ``pytest.exit``) and on SIGTERM/SIGHUP. Only a SIGKILL can leave it acquired.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import signal
import tempfile
import threading
from collections.abc import Callable
from types import FrameType

from sockconf.drivers.base import DriverError


def lock_place(address: str, place: str) -> int | None:
    """Take this host's lock on ``place`` of the coordinator at ``address``; its file descriptor.

    None where the system has no ``flock`` (Windows): the coordinator's acquisition is the only guard.
    """
    try:
        import fcntl
    except ImportError:
        return None
    key = hashlib.sha256(f"{address}\0{place}".encode()).hexdigest()[:16]
    path = os.path.join(tempfile.gettempdir(), f"sockconf-labgrid-{key}.lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise DriverError(
            f"labgrid place {place} is in use by another sockconf run on this host "
            f"(lock file {path}); run one at a time per place"
        ) from None
    return fd


def unlock(fd: int | None) -> None:
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)


# What to call to give back each place this run acquired (several DUTs may share one process), and
# the process-wide guards that call them when the process ends some other way than a close.
_releases: dict[int, Callable[[], None]] = {}
_guards_installed: list[bool] = []


def guard(owner: object, release: Callable[[], None]) -> None:
    """Call ``release`` at exit or on SIGTERM/SIGHUP unless ``unguard(owner)`` comes first."""
    _releases[id(owner)] = release
    _install_guards()


def unguard(owner: object) -> None:
    _releases.pop(id(owner), None)


def _release_all() -> None:
    for release in list(_releases.values()):
        release()


def _on_signal(signum: int, frame: FrameType | None) -> None:
    _release_all()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)  # end as the signal would have ended the process


def _install_guards() -> None:
    if _guards_installed:
        return
    _guards_installed.append(True)
    atexit.register(_release_all)
    if threading.current_thread() is not threading.main_thread():
        return  # signal handlers can only be set from the main thread; atexit still covers a normal exit
    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        # Only where nobody else handles the signal: a handler someone set stays theirs.
        if signum is not None and signal.getsignal(signum) in (signal.SIG_DFL, None):
            signal.signal(signum, _on_signal)
