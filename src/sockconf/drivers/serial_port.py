"""The ``serial`` driver: any pyserial port or URL (/dev/ttyUSB0, COM3, socket://, rfc2217://, spy://).

pyserial's handlers differ in what they support, so the driver asks each only for what it can do:

- Reads: a reader thread owns the port and reads with one fixed timeout set at open; ``_recv`` waits
  on its queue until the caller's deadline. Changing a port's timeout per read would make the RFC 2217
  handler renegotiate the line settings with the server on every read.
- Writes are bounded in time: by pyserial's ``write_timeout`` where the handler has it, otherwise by a
  writer thread that the driver waits on until the same deadline (the RFC 2217 handler rejects
  ``write_timeout``).
- Open is bounded in time as a whole (TCP connect plus RFC 2217 negotiation), and every failure, an
  unexpected exception from a handler included, becomes one DriverError naming the port, the reason
  and what to try.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from typing import Any

import serial
import serial.rfc2217

from sockconf.drivers import register
from sockconf.drivers.base import Driver, DriverError, DriverUsageError, Option, check_baud, require_profile
from sockconf.protocol.profile import Profile

log = logging.getLogger(__name__)

WRITE_WITHIN = 5.0  # seconds a write may take before the link counts as stuck (flow control, dead server)
OPEN_WITHIN = 20.0  # seconds for the whole open: TCP connect (5 s in pyserial) + RFC 2217 negotiation (3 s steps)
READ_SLICE = 0.2  # the reader thread's read timeout: how soon it notices the driver closing
FLOW_CONTROL = {"none": {}, "rtscts": {"rtscts": True}, "xonxoff": {"xonxoff": True}}

PORT = Option("--port", "serial device or pyserial URL, e.g. /dev/ttyUSB0, COM3, socket://host:7000", metavar="PORT")
BAUD = Option("--baud", "baud rate (default: the profile's, e.g. 9600 for XBee)", metavar="N", type=int)
FLOW = Option(
    "--flow",
    "serial flow control: none (default), rtscts (hardware, e.g. XBee D6/D7) or xonxoff (software)",
    choices=tuple(FLOW_CONTROL),
)

# Handlers that reject pyserial's write_timeout; their writes are bounded by the driver's writer thread.
_NO_WRITE_TIMEOUT: tuple[type, ...] = (serial.rfc2217.Serial,)

_EOF = object()  # the reader saw the port close


def advice_for(port: str) -> str:
    """What to try when ``port`` cannot be opened or used, by the kind of port it names."""
    scheme = port.split("://", 1)[0].lower() if "://" in port else ""
    if scheme == "spy":
        return advice_for(port.split("://", 1)[1].split("?", 1)[0])
    if scheme == "rfc2217":
        return (
            "check the host and port, that the server runs and speaks RFC 2217 (ser2net: "
            "`accepter: telnet(rfc2217),tcp,PORT`), and add ?ign_set_control for a port without modem lines; "
            "a server that speaks raw TCP wants socket://host:port instead"
        )
    if scheme == "socket":
        return "check the host and port, and that the server (ser2net, a terminal server) runs and accepts raw TCP"
    if scheme:
        return "check the URL (pyserial URL handlers: socket://, rfc2217://, spy://, loop://)"
    return (
        "check the path (list ports with `python -m serial.tools.list_ports`), that no other program holds "
        "the port, and that you may open it (e.g. the dialout group)"
    )


class _Opening:
    """The outcome of an open running in its own thread, waited for until a deadline."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._abandoned = False
        self.outcome: serial.SerialBase | BaseException | None = None

    def finish(self, outcome: serial.SerialBase | BaseException) -> bool:
        """Hand over the open port or the failure; False when the waiter already gave up."""
        with self._lock:
            if self._abandoned:
                return False
            self.outcome = outcome
            self._done.set()
            return True

    def wait(self, within: float) -> serial.SerialBase | BaseException | None:
        """The open port or the failure; None when nothing came within ``within`` seconds."""
        self._done.wait(within)
        with self._lock:
            if not self._done.is_set():
                self._abandoned = True
            return self.outcome


def _reason(exc: object, port: str = "") -> str:
    """The first line of an exception's text, without pyserial's "could not open port X:" preamble."""
    text = (str(exc).strip() or type(exc).__name__).splitlines()[0]
    names = [port, port.split("://", 1)[-1].split("?", 1)[0]] if port else []
    for name in names:
        preamble = f"could not open port {name}: ".lower()
        at = text.lower().rfind(preamble)
        if at >= 0:
            return text[at + len(preamble) :] or text
    if text.startswith("Remote does not seem to support RFC2217"):
        return "the server did not negotiate RFC 2217 (telnet COM-PORT-OPTION) within its timeout"
    if text == "timeout while waiting for option 'control'":
        return "the server did not confirm the modem-line and flow-control settings (RFC 2217 SET-CONTROL)"
    return text


@register
class SerialDriver(Driver):
    name = "serial"
    summary = "a serial port or any pyserial URL (--port)"
    options = (PORT, BAUD, FLOW)

    @classmethod
    def check_options(cls, values: Mapping[str, Any], profiles: Sequence[Profile]) -> None:
        if not values.get("port"):
            raise DriverUsageError(
                "--driver serial needs --port (e.g. /dev/ttyUSB0, COM3 or socket://host:port); "
                "list ports with `python -m serial.tools.list_ports`"
            )
        check_baud(values)
        require_profile(profiles, cls.name, str(values["port"]))

    @property
    def port(self) -> str:
        return str(self.config.option("port", ""))

    @property
    def baud(self) -> int:
        return int(self.config.option("baud") or self.config.profile.get("baud", 9600))

    @property
    def line_baud(self) -> int | None:
        return self.baud

    @property
    def flow(self) -> str:
        return str(self.config.option("flow", "none"))

    def open(self) -> None:
        port = self.port
        if not port:
            raise DriverError(
                "--driver serial needs --port: a device (/dev/ttyUSB0, COM3) or a pyserial URL "
                "(socket://host:port); list ports with `python -m serial.tools.list_ports`"
            )
        if self.flow not in FLOW_CONTROL:
            raise DriverError(f"--flow wants one of {', '.join(FLOW_CONTROL)}, not {self.flow!r}")
        opening = _Opening()
        threading.Thread(target=self._open_port, args=(port, opening), name="serial-open", daemon=True).start()
        outcome = opening.wait(OPEN_WITHIN)
        if outcome is None:
            raise DriverError(f"cannot open --port {port}: no answer within {OPEN_WITHIN:.0f} s; {advice_for(port)}")
        if isinstance(outcome, BaseException):  # whatever the handler raised: one message, no traceback
            raise DriverError(f"cannot open --port {port}: {_reason(outcome, port)}; {advice_for(port)}")
        self._port = outcome
        self._ended: object = None  # _EOF or the exception that ended the reader, once seen
        self._stop = threading.Event()
        self._incoming: queue.Queue[object] = queue.Queue()
        self._reader = threading.Thread(target=self._read_loop, name=f"serial-read {port}", daemon=True)
        self._reader.start()
        self._bounded_write = isinstance(self._port, _NO_WRITE_TIMEOUT)
        self._stuck = ""  # why writes fail at once, after one did not complete in time

    def _open_port(self, port: str, opening: _Opening) -> None:
        try:
            ser = serial.serial_for_url(port, do_not_open=True)
            ser.baudrate = self.baud
            ser.timeout = READ_SLICE
            if not isinstance(ser, _NO_WRITE_TIMEOUT):
                ser.write_timeout = WRITE_WITHIN
            for option, value in FLOW_CONTROL[self.flow].items():
                setattr(ser, option, value)
            ser.open()
        except Exception as exc:
            opening.finish(exc)
            return
        if not opening.finish(ser):
            ser.close()  # the driver gave up waiting: nobody will use or close this port

    def advice(self) -> str:
        return advice_for(self.port)

    def identity(self) -> dict[str, str]:
        flow = {"flow control": self.flow} if self.flow != "none" else {}
        return {"driver": self.name, "port": self.port, "baud": str(self.baud), **flow}

    # -- the reader thread: port -> queue (bytes, _EOF, or the exception that ended it)

    def _read_loop(self) -> None:
        port = self._port
        while not self._stop.is_set():
            try:
                data = port.read(1)
                if data:
                    waiting = port.in_waiting
                    if waiting:
                        data += port.read(waiting)
                    self._incoming.put(bytes(data))
            except Exception as exc:
                if self._stop.is_set():
                    return  # the driver closed the port under the read
                text = str(exc)
                if "returned no data" in text or "disconnected" in text or "reader thread died" in text:
                    self._incoming.put(_EOF)  # the device went away (USB unplugged, pty or socket closed)
                else:
                    self._incoming.put(exc)
                return

    def _recv(self, timeout: float) -> bytes | None:
        if self._ended is not None:
            return self._end()
        try:
            item = self._incoming.get(timeout=timeout) if timeout > 0 else self._incoming.get_nowait()
        except queue.Empty:
            return b""
        chunks = []
        while isinstance(item, bytes):
            chunks.append(item)
            try:
                item = self._incoming.get_nowait()
            except queue.Empty:
                break
        else:
            self._ended = item  # _EOF or the reader's exception: after the bytes that came before it
        return b"".join(chunks) if chunks else self._end()

    def _end(self) -> bytes | None:
        if self._ended is _EOF:
            return None
        raise OSError(f"{self.port}: {_reason(self._ended)}")

    # -- writes

    def _send(self, data: bytes) -> None:
        """Hand ``data`` to the port within WRITE_WITHIN seconds.

        No flush(): on a device it is tcdrain, which waits until the bytes are on the wire and, with a
        CTS that never asserts, forever; the OS transmits what it was handed anyway.
        """
        if self._stuck:
            raise OSError(self._stuck)  # an earlier write still hangs: the link is not usable
        try:
            if self._bounded_write:
                self._write_in_thread(data)
            else:
                self._port.write(data)
        except (serial.SerialTimeoutException, TimeoutError):
            self._stuck = f"{self.port} did not take the bytes within {WRITE_WITHIN:.0f} s; check flow control (--flow)"
            raise OSError(self._stuck) from None
        except Exception as exc:
            raise OSError(f"{self.port}: {_reason(exc)}") from None

    def _write_in_thread(self, data: bytes) -> None:
        """``write`` for handlers without write_timeout: TimeoutError when it takes over WRITE_WITHIN s."""
        done: Future[None] = Future()

        def write() -> None:
            try:
                self._port.write(data)
            except BaseException as exc:
                done.set_exception(exc)
            else:
                done.set_result(None)

        threading.Thread(target=write, name="serial-write", daemon=True).start()
        done.result(timeout=WRITE_WITHIN)

    def _close(self) -> None:
        port: Any = getattr(self, "_port", None)
        if port is None:
            return
        self._stop.set()
        cancel = getattr(port, "cancel_read", None)
        try:
            if cancel is not None:
                cancel()
        except Exception as exc:  # a handler without a working cancel: the read slice ends the loop
            log.debug("cancel_read on %s: %s", self.port, exc)
        self._reader.join(READ_SLICE + 2.0)
        try:
            port.close()
        except Exception as exc:
            log.warning("closing %s: %s", self.port, exc)
