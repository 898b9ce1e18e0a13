"""A loopback address of its own for each emulated module on this host.

An emulator claims an address by listening on ``CLAIM_PORT`` of it for as long as it runs; another
emulator (another xdist worker, another run, another module of a farm) finds it taken and moves on.
So the documents' fixed ports (XBee 10001, eS-WiFi 5024) never collide between emulated modules.
"""

from __future__ import annotations

import errno
import os
import socket
import threading

CLAIM_PORT = 47_201
_claim_lock = threading.Lock()
_claim_next = [0]


class ClaimError(RuntimeError):
    """No loopback address could be claimed; the message says what to do."""


def claim_loopback_address() -> tuple[str, socket.socket]:
    """A loopback address no other emulator on this host uses, and the socket that holds the claim.

    Candidates are spread by process ID (xdist workers and concurrent runs are separate processes)
    and by a counter (several emulators in one process); the first whose claim port is free wins.
    """
    pid = os.getpid()
    with _claim_lock:
        for _ in range(4096):
            n = _claim_next[0]
            _claim_next[0] += 1
            slot = (pid * 7 + n) % (254 * 254)
            host = f"127.{101 + pid % 100}.{1 + slot // 254}.{1 + slot % 254}"
            claim = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                claim.bind((host, CLAIM_PORT))
                claim.listen(1)
            except OSError as exc:
                claim.close()
                if exc.errno in (errno.EADDRINUSE, errno.EADDRNOTAVAIL):
                    continue
                raise ClaimError(f"cannot claim a loopback address for the emulator ({host}): {exc}") from exc
            return host, claim
    raise ClaimError("no free loopback address for the emulator; give one explicitly")
