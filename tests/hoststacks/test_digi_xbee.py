"""Digi's own library, digi-xbee, drives the emulator as a product would: through ``sockconf emulate xbee --pty``.

What the XBEE-HOST-DIGI cases restate (src/sockconf/suites/xbee/digi.py, docs/host-stacks.md) is checked
here against the library itself: the emulator serves it on both profiles (open, AT settings with a
queued set applied by apply_changes(), the socket list, a TCP client, a TCP listener, UDP), and where
the cases say a defensible module breaks the library, the library breaks (close-all answered with
socket ID 00; sendto() without bind() on a module that refuses it).

Every wait is bounded: the library's own timeouts (4 s AT, 5 s socket; a request may stall that long
when the library misses its own wake-up) and, for accept(), which has none, a thread with a deadline.
"""

from __future__ import annotations

import contextlib
import socket as pysocket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.helpers import Emulator, unique_loopback

INSTALL = "digi-xbee is not installed: pip install -e '.[test]' (or pip install 'digi-xbee>=1.5,<2')"
devices = pytest.importorskip("digi.xbee.devices", reason=INSTALL)
xsocket = pytest.importorskip("digi.xbee.xsocket", reason=INSTALL)
from digi.xbee.exception import (  # noqa: E402
    OperationNotSupportedException,
    TimeoutException,
    XBeeSocketException,
)
from digi.xbee.models.protocol import IPProtocol, XBeeProtocol  # noqa: E402
from digi.xbee.models.status import SocketInfoState, SocketStatus, TransmitStatus  # noqa: E402
from digi.xbee.packets.socket import SocketClosePacket  # noqa: E402

PROFILES = ["xbee3-lte-m", "xbee-cat1"]
SOCKET_TIMEOUT = 5.0  # the library's socket timeout, set explicitly
WAIT = 15.0  # a bound on any one step here: the library's timeout plus one lost wake-up, with room


def _until(done: Callable[[], bool], within: float = WAIT) -> bool:
    deadline = time.monotonic() + within
    while not done():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)
    return True


@contextlib.contextmanager
def emulator(*args: str) -> Iterator[tuple[str, str]]:
    """A ``sockconf emulate xbee --pty`` on a loopback address of its own: (its pty, that address)."""
    host = unique_loopback()
    emu = Emulator("xbee", "--pty", "--host-ip", host, *args)
    try:
        yield emu.endpoint, host
    finally:
        emu.stop()


@contextlib.contextmanager
def emulated(*args: str) -> Iterator[tuple[Any, str]]:
    """An emulator and the CellularDevice a product opens on it: (the device, the emulator's address)."""
    with emulator(*args) as (port, host):
        device = devices.CellularDevice(port, 9600)
        device.open()
        try:
            yield device, host
        finally:
            device.close()


@pytest.fixture(params=PROFILES)
def profile(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def xbee(profile: str) -> Iterator[tuple[Any, str]]:
    with emulated("--profile", profile) as opened:
        yield opened


def _recv(sock: Any, n: int) -> bytes:
    """recv() until ``n`` bytes came (each call returns what arrived, empty after the socket's timeout)."""
    got = bytearray()
    deadline = time.monotonic() + WAIT
    while len(got) < n and time.monotonic() < deadline:
        got += sock.recv(n - len(got))
    return bytes(got)


def test_open_reads_the_module_and_at_settings_apply(xbee):
    device, host = xbee
    assert device.get_protocol() == XBeeProtocol.CELLULAR
    assert str(device.get_ip_addr()) == host
    assert device.get_parameter("NI") == b"sockconf emulator"
    device.set_parameter("NI", b"digi set")
    assert device.get_parameter("NI") == b"digi set"
    # A queued set waits for apply_changes(), whose AC goes in a 0x09 frame.
    device.set_parameter("NI", b"digi queued", apply=False)
    assert device.get_parameter("NI", apply=False) == b"digi set"
    device.apply_changes()
    assert device.get_parameter("NI", apply=False) == b"digi queued"


def test_the_socket_list_and_a_socket_s_information(xbee):
    device, _ = xbee
    assert device.get_sockets_list() == []  # SI with no socket open: the list's closing CR alone
    listener = xsocket.socket(device, IPProtocol.TCP)
    udp = xsocket.socket(device, IPProtocol.UDP)
    try:
        listener.bind(("0.0.0.0", 10081))
        listener.listen()
        udp.bind(("0.0.0.0", 10082))
        ids = device.get_sockets_list()
        infos = {info.protocol: info for info in map(device.get_socket_info, ids)}
        assert len(ids) == 2 and set(infos) == {IPProtocol.TCP, IPProtocol.UDP}
        tcp_info, udp_info = infos[IPProtocol.TCP], infos[IPProtocol.UDP]
        assert (tcp_info.state, tcp_info.local_port) == (SocketInfoState.LISTENING, 10081)
        assert (udp_info.state, udp_info.local_port, udp_info.remote_address) == (
            SocketInfoState.BOUND,
            10082,
            "0.0.0.0",
        )
        assert sorted(ids) == ids and {tcp_info.socket_id, udp_info.socket_id} == set(ids)
    finally:
        udp.close()
        listener.close()
    assert device.get_sockets_list() == []


def test_tcp_client(xbee):
    device, host = xbee
    with pysocket.create_server((host, 0)) as server:
        server.settimeout(WAIT)
        sock = xsocket.socket(device, IPProtocol.TCP)
        sock.settimeout(SOCKET_TIMEOUT)
        try:
            sock.connect((host, server.getsockname()[1]))
            conn, _ = server.accept()
        except BaseException:
            sock.close()
            raise
        with conn:
            conn.settimeout(WAIT)
            out = b"digi sendall \x7e\x7d\x11\x13 " * 120  # 2400 bytes: two 0x44 frames
            sock.sendall(out)
            got = b""
            while len(got) < len(out):
                chunk = conn.recv(len(out) - len(got))
                assert chunk, "the peer's connection closed early"
                got += chunk
            assert got == out
            conn.sendall(b"from the peer \x7e\x7d\x11\x13")
            assert _recv(sock, 18) == b"from the peer \x7e\x7d\x11\x13"
            # The product closes first (the peer closing first would race the 0xCF against close()).
            sock.close()
            assert not sock.is_connected
            assert conn.recv(16) == b"", "the module's close reaches the peer"


def _accept_in_thread(device: Any, listener: Any) -> tuple[threading.Thread, list[Any]]:
    """accept() has no timeout: it runs in a thread of its own, started before a client comes, and the
    test goes on only once it waits (it has registered its callback for the 0xCC)."""
    # The device's reader keeps the callbacks; accept() adds one for the 0xCC it waits for.
    callbacks = device._packet_listener.get_packet_received_callbacks
    before = len(callbacks())
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(listener.accept()), daemon=True)
    thread.start()
    assert _until(lambda: len(callbacks()) > before), "accept() did not start waiting"
    return thread, result


def test_tcp_listener(xbee, profile):
    device, host = xbee
    listener = xsocket.socket(device, IPProtocol.TCP)
    listener.settimeout(SOCKET_TIMEOUT)
    try:
        listener.bind(("0.0.0.0", 10083))
        listener.listen()
        thread, result = _accept_in_thread(device, listener)
        with pysocket.create_connection((host, 10083), timeout=WAIT) as peer:
            first = b"first bytes \x7e\x7d"
            if profile == "xbee-cat1":
                peer.sendall(first)  # a Cat 1 module presents the client once it has sent data
            thread.join(WAIT)
            assert not thread.is_alive() and result, "accept() got no client"
            conn, (address, port) = result[0]
            conn.settimeout(SOCKET_TIMEOUT)
            assert (str(address), port) == peer.getsockname()
            if profile == "xbee-cat1":
                assert _recv(conn, len(first)) == first  # the client's first 0xCD came after its 0xCC
            peer.sendall(b"hello from the peer")
            assert _recv(conn, 19) == b"hello from the peer"
            conn.sendall(b"hello from the module")
            peer.settimeout(WAIT)
            assert peer.recv(64) == b"hello from the module"
        # The peer closed: the 0xCF ends the accepted socket, and close() then sends nothing.
        assert _until(lambda: not conn.is_connected)
        conn.close()
    finally:
        listener.close()


def test_udp(xbee):
    device, host = xbee
    with pysocket.socket(pysocket.AF_INET, pysocket.SOCK_DGRAM) as peer:
        peer.bind((host, 0))
        peer.settimeout(WAIT)
        udp = xsocket.socket(device, IPProtocol.UDP)
        udp.settimeout(SOCKET_TIMEOUT)
        try:
            udp.bind(("0.0.0.0", 10084))
            udp.sendto(b"digi sendto \x7e\x7d\x11\x13", peer.getsockname())
            data, source = peer.recvfrom(2048)
            assert (data, source) == (b"digi sendto \x7e\x7d\x11\x13", (host, 10084))
            peer.sendto(b"reply to digi", source)
            # recvfrom() returns (b"", None) when its timeout ends with nothing received.
            deadline = time.monotonic() + WAIT
            got, address = b"", None
            while not got and time.monotonic() < deadline:
                got, address = udp.recvfrom(64)
            assert (got, address) == (b"reply to digi", peer.getsockname())
        finally:
            udp.close()


def _close_all(device: Any) -> Any:
    """What a product sends to close every socket: the library has no call for it."""
    return device.send_packet_sync_and_get_response(SocketClosePacket(device.get_next_frame_id(), 0xFF))


def test_close_all_is_answered_with_socket_id_ff():
    with emulated() as (device, _):
        xsocket.socket(device, IPProtocol.TCP).bind(("0.0.0.0", 10086))
        reply = _close_all(device)
        assert (reply.socket_id, reply.status) == (0xFF, SocketStatus.SUCCESS)
        assert device.get_sockets_list() == []


def test_close_all_answered_with_socket_id_00_breaks_the_library():
    # XBEE-SILENT-CLOSE-ALL-REPLY "other": a defensible module, and XBEE-HOST-DIGI-06 says it breaks.
    with emulated("--variant", "close-all-reply-id-00") as (device, _):
        xsocket.socket(device, IPProtocol.TCP).bind(("0.0.0.0", 10087))
        with pytest.raises(TimeoutException):
            _close_all(device)


@pytest.mark.parametrize(("variant", "works"), [(None, False), ("sendto-unbound-auto-binds", True)])
def test_sendto_without_bind_needs_a_module_that_sends(variant, works):
    # XBEE-SILENT-SENDTO-UNBOUND: the library sends 0x45 on a socket it never bound.
    args = ["--variant", variant] if variant else []
    with emulated(*args) as (device, host), pysocket.socket(pysocket.AF_INET, pysocket.SOCK_DGRAM) as peer:
        peer.bind((host, 0))
        peer.settimeout(WAIT)
        udp = xsocket.socket(device, IPProtocol.UDP)
        udp.settimeout(SOCKET_TIMEOUT)
        if works:
            udp.sendto(b"unbound", peer.getsockname())
            assert peer.recvfrom(64)[0] == b"unbound"
        else:
            with pytest.raises(XBeeSocketException) as raised:
                udp.sendto(b"unbound", peer.getsockname())
            assert raised.value.status == TransmitStatus.SOCKET_NOT_BOUND


# Where the XBEE-HOST-DIGI cases say the library breaks (docs/host-stacks.md "What breaks it" and the
# silent points), the library itself breaks: (emulator options, what fails, how).
OPEN_BREAKS = {
    "ni-unset-empty": (("--variant", "ni-unset-empty"), OperationNotSupportedException),
    "queued-query-no-value": (("--fault", "queued-query-no-value"), OperationNotSupportedException),
    "hv-code-unknown": (("--fault", "hv-code-unknown"), AttributeError),
}


@pytest.mark.parametrize("name", sorted(OPEN_BREAKS))
def test_open_breaks_where_the_cases_say(name):
    args, error = OPEN_BREAKS[name]
    with emulator(*args) as (port, _):
        device = devices.CellularDevice(port, 9600)
        try:
            with pytest.raises(error):
                device.open()
        finally:
            device.close()


def test_an_empty_si_list_breaks_get_sockets_list():
    with emulated("--variant", "si-empty-list-empty") as (device, _), pytest.raises(OperationNotSupportedException):
        device.get_sockets_list()


def test_si_ids_without_0x_break_get_sockets_list():
    with emulated("--fault", "si-ids-without-0x") as (device, _):
        listener, udp = xsocket.socket(device, IPProtocol.TCP), xsocket.socket(device, IPProtocol.UDP)
        listener.bind(("0.0.0.0", 10088))
        udp.bind(("0.0.0.0", 10089))
        with pytest.raises(ValueError, match="invalid literal for int"):
            device.get_sockets_list()  # "01" is hex to the guide, not to Python's int(x, 0)


def test_data_before_the_0xcc_is_lost_to_accept():
    # XBEE-SILENT-CAT1-PRESENTATION "later": the client's 0xCD comes before its 0xCC.
    with emulated("--profile", "xbee-cat1", "--variant", "cat1-presents-after-data") as (device, host):
        listener = xsocket.socket(device, IPProtocol.TCP)
        listener.bind(("0.0.0.0", 10090))
        listener.listen()
        thread, result = _accept_in_thread(device, listener)
        with pysocket.create_connection((host, 10090), timeout=WAIT) as peer:
            peer.sendall(b"first bytes")
            thread.join(WAIT)
            assert not thread.is_alive() and result, "accept() got no client"
            conn, _ = result[0]
            conn.settimeout(1.0)  # recv() gives up after this and returns what it has: nothing
            assert conn.recv(64) == b""
            peer.sendall(b"more")
            assert _recv(conn, 4) == b"more"  # data after the 0xCC arrives
        listener.close()
