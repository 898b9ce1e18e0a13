"""Steps of the documented ESP-AT exchanges, shared by the ESPAT cases.

Each step sends the documented command and checks the documented answer; a case runs the steps up
to its own and checks that one in detail. A step that fails while it is only a precondition says so.
"""

from __future__ import annotations

import contextlib
import select
import socket
import time
from collections.abc import Iterator
from typing import NamedTuple

from sockconf.core.trace import NET
from sockconf.harness.espat import EspAtSession, Response, describe_event
from sockconf.harness.expect import show_bytes
from sockconf.harness.peer import Peer, TcpClient, UdpPeer
from sockconf.protocol.espat import Ipd, LinkReport, RecvCount

PORT = 8080  # the port the cases' servers listen on (the TCP/IP examples' PC server uses 8080)
UDP_PORT = 1112  # the module's UDP port in the examples ("AT+CIPSTART=4,"UDP","192.168.3.102",8080,1112,0")
LINKS = 5


def pattern(n: int, start: int = 0) -> bytes:
    """``n`` bytes cycling through every byte value from ``start`` (CR, LF, '>', ',', '"', '\\\\' included)."""
    return bytes((start + i) & 0xFF for i in range(n))


def first_difference(a: bytes, b: bytes) -> int:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return i
    return min(len(a), len(b))


# ------------------------------------------------------------------ servers


def open_server(espat: EspAtSession, port: int = PORT, maxconn: int = LINKS, requirement: str = "") -> Response:
    """AT+CIPSERVERMAXCONN=<maxconn> (before the server, as the document asks), then AT+CIPSERVER=1,<port>."""
    espat.ok(
        "+CIPSERVERMAXCONN", maxconn, requirement=f"precondition: AT+CIPSERVERMAXCONN={maxconn} is answered with OK"
    )
    return espat.ok(
        "+CIPSERVER", 1, port, requirement=requirement or f"precondition: AT+CIPSERVER=1,{port} is answered with OK"
    )


def accept(espat: EspAtSession, peer: Peer, port: int = PORT, requirement: str = "") -> tuple[int, TcpClient]:
    """A peer connects to the module's server; the link ID its ``<id>,CONNECT`` report names."""
    client = peer.connect(port)
    link = espat.connected_link(requirement or "precondition: a client of the server is reported <id>,CONNECT")
    return link, client


class Outgoing(NamedTuple):
    """A link the module opened (AT+CIPSTART) and the peer's end of it."""

    link: int | None
    client: TcpClient
    response: Response


def connect(espat: EspAtSession, peer: Peer, link: int | None, requirement: str = "") -> Outgoing:
    """AT+CIPSTART=[<link>,]"TCP","<peer>",<port> to a server of the peer: <link>,CONNECT, then OK."""
    req = requirement or "precondition: AT+CIPSTART (TCP) is answered <id>,CONNECT and OK"
    server = peer.tcp_server()
    params: list[object] = [] if link is None else [link]
    response = espat.at(
        "+CIPSTART", *params, "TCP", server.address, server.port, within=espat.deadlines[1], requirement=req
    )
    espat.expect_final(response, ("OK",), req)
    expect_connect_before(espat, response, link, req)
    client = server.accept(espat.deadlines[1], req)
    return Outgoing(link, client, response)


def expect_connect_before(espat: EspAtSession, response: Response, link: int | None, requirement: str) -> None:
    """``[<link>,]CONNECT`` came with the command's answer, before its OK (``CONNECT`` / ``OK`` in the document)."""
    found = espat.take_report(lambda e: isinstance(e, LinkReport) and e.state == "CONNECT" and e.link == link)
    name = "CONNECT" if link is None else f"{link},CONNECT"
    if found is None or response.final is None or not espat.came_before(found, response.final):
        espat.fail(
            requirement,
            [f"{name}, then OK"],
            [*response.shown(), *(describe_event(e) for e in espat.inbox)],
            [f"no {name} before the OK" if found is None else f"{name} after the OK"],
        )


def udp_link(
    espat: EspAtSession, peer: Peer, link: int | None, local_port: int | None = UDP_PORT, mode: int | None = None
) -> tuple[UdpPeer, Response]:
    """AT+CIPSTART=[<link>,]"UDP","<peer>",<port>[,<local port>[,<mode>]]: the peer's socket and the answer."""
    req = "precondition: AT+CIPSTART (UDP) is answered <id>,CONNECT and OK"
    udp = peer.udp_socket()
    params: list[object] = [] if link is None else [link]
    params += ["UDP", udp.local[0], udp.local[1]]
    if local_port is not None:
        params.append(local_port)
        if mode is not None:
            params.append(mode)
    response = espat.at("+CIPSTART", *params, within=espat.deadlines[1], requirement=req)
    espat.expect_final(response, ("OK",), req)
    expect_connect_before(espat, response, link, req)
    return udp, response


# ------------------------------------------------------------------ data


def receive(espat: EspAtSession, link: int | None, expected: bytes, requirement: str, limit: int = 2920) -> list[Ipd]:
    """The ``+IPD`` reports of ``link`` until ``expected`` arrived whole and in order, each at most ``limit`` bytes."""
    got = bytearray()
    reports: list[Ipd] = []
    # The data cannot reach the host before they have crossed the line (a paced or serial link): that
    # line time comes on top of the indication deadline.
    deadline = time.monotonic() + espat.deadlines[1] + espat.driver.line_time(len(expected))
    while len(got) < len(expected):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        event = espat.report(
            lambda e: isinstance(e, Ipd) and e.link == link and e.data is not None,
            "+IPD with data" if link is None else f"+IPD,{link},<len>:<data>",
            requirement,
            within=left,
        )
        assert isinstance(event, Ipd) and event.data is not None
        if len(event.data) > limit:
            espat.fail(requirement, [f"at most {limit} bytes per +IPD"], [describe_event(event)], ["+IPD too long"])
        reports.append(event)
        got += event.data
    if bytes(got) != expected:
        espat.fail(
            requirement,
            [f"{len(expected)} bytes: {show_bytes(expected)}"],
            [f"{len(got)} bytes: {show_bytes(bytes(got))}"],
            [f"the data differ from byte {first_difference(expected, bytes(got))} (after {len(reports)} +IPD)"],
        )
    return reports


def send(
    espat: EspAtSession, link: int | None, payload: bytes, client: TcpClient | None, requirement: str = ""
) -> tuple[Response, Response]:
    """AT+CIPSEND: OK and >, the data, Recv <n> bytes (when present: n right) and SEND OK; the peer gets the bytes."""
    req = requirement or "AT+CIPSEND=<link>,<n> answers OK and >, takes n bytes, ends with SEND OK"
    response, sent = espat.send_data(link, payload, requirement=req)
    if sent is None:
        espat.fail(req, ["OK, then >"], response.shown(), ["the send was refused"])
    assert sent is not None
    check_sent(espat, sent, len(payload), req)
    if client is not None:
        got = client.recv_exactly(len(payload), espat.deadlines[1], req)
        if got != payload:
            espat.fail(
                req,
                [show_bytes(payload)],
                [show_bytes(got)],
                [f"the peer received other bytes from byte {first_difference(payload, got)}"],
            )
    return response, sent


def check_sent(espat: EspAtSession, sent: Response, count: int, requirement: str) -> None:
    """After the data: SEND OK, and ``Recv <count> bytes`` when the module prints it."""
    espat.expect_final(sent, ("SEND OK",), requirement)
    recv = [e for e in sent.lines if isinstance(e, RecvCount)]
    if recv and recv[0].count != count:
        espat.fail(requirement, [f"Recv {count} bytes"], [describe_event(recv[0])], ["a wrong byte count"])


# ------------------------------------------------------------------ closing and state


def closed_by_dut(client: TcpClient, within: float) -> tuple[bool, bytes]:
    """(True when the DUT closed the connection before the deadline, bytes received meanwhile).

    ``within`` 0 looks once at what has already arrived, without waiting."""
    deadline = time.monotonic() + within
    data = bytearray()
    while True:
        readable, _, _ = select.select([client.sock], [], [], max(0.0, deadline - time.monotonic()))
        if not readable:
            return False, bytes(data)
        try:
            chunk = client.sock.recv(4096)
        except OSError:
            client.trace.record(NET, text=f"{client.label}: connection reset by the DUT")
            return True, bytes(data)
        if not chunk:
            client.trace.record(NET, text=f"{client.label}: connection closed by the DUT")
            return True, bytes(data)
        data += chunk
        client.trace.record(NET, chunk, f"{client.label} received {len(chunk)} byte(s)")


def expect_closed(espat: EspAtSession, client: TcpClient, requirement: str) -> None:
    """The DUT closes the peer's connection within the indication deadline, sending nothing more."""
    closed, data = closed_by_dut(client, espat.deadlines[1])
    if data:
        espat.fail(requirement, ["nothing more, then the connection closed"], [show_bytes(data)], ["unexpected bytes"])
    if not closed:
        espat.fail(
            requirement,
            [f"{client.label}'s connection closed by the DUT"],
            ["still open"],
            [f"not closed within {espat.deadlines[1]:g} s"],
        )


def still_open(espat: EspAtSession, client: TcpClient, link: int | None, requirement: str) -> None:
    """The peer's connection still carries data both ways on ``link``."""
    client.send(b"ping")
    receive(espat, link, b"ping", requirement)
    send(espat, link, b"pong", client, requirement)


class State(NamedTuple):
    """One line of AT+CIPSTATE?."""

    link: int
    type: str
    remote_ip: str
    remote_port: int
    local_port: int
    tetype: int


def cipstate(espat: EspAtSession, requirement: str = "") -> list[State]:
    """AT+CIPSTATE?: one +CIPSTATE line per open link, then OK; the lines parsed (a malformed one fails)."""
    req = (
        requirement or "AT+CIPSTATE? shows one line per open link: <link ID>,<type>,<remote IP>,<port>,<port>,<tetype>"
    )
    response = espat.ok("+CIPSTATE?", requirement=req)
    states = []
    for value in response.info("CIPSTATE"):
        fields = value.split(",")
        try:
            state = State(
                int(fields[0]),
                fields[1].strip('"'),
                fields[2].strip('"'),
                int(fields[3]),
                int(fields[4]),
                int(fields[5]),
            )
        except (IndexError, ValueError):
            espat.fail(req, ['+CIPSTATE:<link ID>,<"type">,<"remote IP">,<remote port>,<local port>,<tetype>'],
                       [f"+CIPSTATE:{value}"], ["not six fields of the documented types"])  # fmt: skip
        states.append(state)
    return states


def info_value(espat: EspAtSession, name: str, requirement: str = "") -> str:
    """The value of the one ``+<name>:`` line of ``AT+<name>?``."""
    return espat.query(name, requirement)[0].strip()


@contextlib.contextmanager
def black_hole(peer: Peer) -> Iterator[tuple[str, int, socket.socket]]:
    """A TCP port of the peer that answers no SYN: a listener whose one-place queue is already full.

    A connection to it neither completes nor is refused; closing the listener (the third item) makes
    the next SYN the module retransmits be refused."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.bind((peer.address, 0))
        listener.listen(0)
        host, port = listener.getsockname()[:2]
        filler.settimeout(1.0)
        filler.connect((host, port))  # takes the one place of the queue: later SYNs are dropped
        # Worded like the peer's other listeners, so a wire-diff sets its port aside as run-dependent.
        peer.trace.record(NET, text=f"black hole listens on {host}:{port} (its queue full: no SYN is answered)")
        yield host, port, listener
    finally:
        filler.close()
        listener.close()
