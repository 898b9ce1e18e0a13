"""labgrid's coordinator, from the driver's side: one client session per coordinator address, its
event loop in a thread of its own, every call bounded by a deadline and every labgrid or gRPC error
turned into a ``DriverError`` that says what to check. labgrid is imported only when used.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import threading
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, ClassVar, TypeVar

from sockconf.drivers.base import DriverError

DEFAULT_COORDINATOR = "127.0.0.1:20408"  # labgrid-client's default when LG_COORDINATOR is unset
INSTALL = "pip install 'labgrid>=24,<27'"
# How long the coordinator may take to answer one request.
COORDINATOR_TIMEOUT = 10.0

T = TypeVar("T")


def coordinator_address(values: Mapping[str, Any]) -> str:
    return str(values.get("lg_coordinator") or os.environ.get("LG_COORDINATOR") or DEFAULT_COORDINATOR)


def labgrid_missing() -> str:
    """Why labgrid cannot be used here ("" when it can)."""
    try:
        import labgrid.remote.client  # noqa: F401
    except ImportError as exc:
        return f"--driver labgrid needs labgrid's Python package ({exc}); install it: {INSTALL}"
    return ""


def bounded(fn: Callable[[], T], seconds: float, what: str) -> T:
    """``fn()`` in a worker thread; a DriverError if it has not returned within ``seconds``.

    For labgrid calls that may block without a deadline of their own (an HTTP request to a power
    switch, an SSH forward): the run stops with a message instead of hanging.
    """
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="labgrid-call")
    try:
        return pool.submit(fn).result(seconds)
    except concurrent.futures.TimeoutError:
        raise DriverError(f"{what} did not finish within {seconds:.0f} s") from None
    finally:
        pool.shutdown(wait=False)


class Coordinator:
    """A labgrid ClientSession whose event loop runs in a thread of its own.

    The loop keeps the coordinator's update stream read and its keepalives answered for as long as
    the run lasts; the driver's calls are coroutines run on that loop, each with a deadline.
    """

    def __init__(self, address: str) -> None:
        from labgrid.util.proxy import proxymanager

        self.given = address
        self.address = str(proxymanager.get_grpc_address(address, default_port=20408))
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="labgrid-coordinator", daemon=True)
        self._thread.start()
        self.session: Any = None
        try:
            self.session = self.call(self._start(), "connecting to the labgrid coordinator")
        except BaseException:
            self.stop()
            raise

    async def _start(self) -> Any:
        from labgrid.remote.client import ClientSession

        session = ClientSession(self.address, self.loop)
        try:
            await session.start()
        except BaseException:
            with contextlib.suppress(Exception):
                await session.stop()
            with contextlib.suppress(Exception):
                await session.close()
            raise
        return session

    def call(self, coro: Coroutine[Any, Any, T], what: str, timeout: float = COORDINATOR_TIMEOUT) -> T:
        """Run ``coro`` on the session's loop; labgrid's and gRPC's errors become DriverErrors."""
        import grpc
        from labgrid.remote.client import Error as LabgridError

        future = asyncio.run_coroutine_threadsafe(asyncio.wait_for(coro, timeout), self.loop)
        try:
            return future.result(timeout + 2)
        except (TimeoutError, concurrent.futures.TimeoutError):
            future.cancel()
            raise DriverError(
                f"{what}: the labgrid coordinator at {self.given} did not answer within {timeout:.0f} s; "
                "check that labgrid-coordinator runs there and that --lg-coordinator (or LG_COORDINATOR) names it"
            ) from None
        except grpc.RpcError as exc:
            details = exc.details() if isinstance(exc, grpc.aio.AioRpcError) else str(exc)
            raise DriverError(f"{what}: the labgrid coordinator at {self.given} answered: {details}") from None
        except LabgridError as exc:
            text = str(exc).removeprefix("Error: ")
            if "connect to coordinator" in text:
                text += (
                    "; check that labgrid-coordinator runs there (labgrid 24 or later) and that "
                    "--lg-coordinator (or LG_COORDINATOR) names it"
                )
            raise DriverError(f"{what} at {self.given}: {text}") from None

    # One session per coordinator per process: gRPC gives channels to one address one TCP connection,
    # and the coordinator refuses a second client stream from a peer it already has (several DUTs).
    _shared: ClassVar[dict[str, tuple[Coordinator, int]]] = {}
    _shared_lock: ClassVar[threading.RLock] = threading.RLock()  # re-entrant: a signal may close mid-open

    @classmethod
    def connect(cls, address: str) -> Coordinator:
        with cls._shared_lock:
            if address in cls._shared:
                coord, users = cls._shared[address]
                cls._shared[address] = (coord, users + 1)
                return coord
            coord = cls(address)
            cls._shared[address] = (coord, 1)
            return coord

    def disconnect(self) -> None:
        with self._shared_lock:
            coord, users = self._shared.get(self.given, (None, 0))
            if coord is self and users > 1:
                self._shared[self.given] = (self, users - 1)
                return
            if coord is self:
                del self._shared[self.given]
        self.stop()

    def me(self) -> str:
        """This client as labgrid names holders: HOST/USER ($LG_HOSTNAME, $LG_USERNAME override them)."""
        return f"{self.session.gethostname()}/{self.session.getuser()}"

    def stop(self) -> None:
        session, self.session = self.session, None
        if session is not None:

            async def _stop() -> None:
                with contextlib.suppress(Exception):
                    await session.stop()
                with contextlib.suppress(Exception):
                    await session.close()

            with contextlib.suppress(DriverError):
                self.call(_stop(), "closing the coordinator session", timeout=5.0)
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5.0)
        if not self._thread.is_alive():
            self.loop.close()
