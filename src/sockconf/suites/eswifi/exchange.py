"""Steps of the seed's multi-accept exchange and the single server, shared by the ESWIFI cases.

Each step sends the documented command and checks the documented answer; a case runs the steps up
to its own and checks that one in detail. A step that fails while it is only a precondition says so.
"""

from __future__ import annotations

import contextlib
import re
import socket
import struct
import time
from collections.abc import Callable, Iterator

from sockconf.core.trace import NET
from sockconf.data.vectors.eswifi import ESWIFI_SEED_BACKLOG, ESWIFI_SEED_KEEPALIVE
from sockconf.harness import contradictions
from sockconf.harness.eswifi import LOST, LOST_WITH_OK, LOST_WITHOUT_OK, ESWiFiSession, first_difference, ok_with
from sockconf.harness.expect import Check, ConformanceFailure, show_bytes
from sockconf.harness.peer import Peer, TcpClient
from sockconf.protocol.eswifi import TERMINATOR, AsyncMessage, Reply

MULTI = 11  # P5=11: multi-accept server
SINGLE = 1  # P5=1: single-connection server
MODES = {MULTI: "multi-accept (P5=11)", SINGLE: "single (P5=1)"}
NOT_LOST = Check("data (not -1)", lambda data: data != LOST)


# Settled contradictions about the form of a reply, each with how the module's last bytes show its losing side.
RESPONSE_FORM = "ESWIFI-CONTRA-RESPONSE-FORM"
PROMPT_SPACE = "ESWIFI-CONTRA-PROMPT-SPACE"
PK_REPLY = "ESWIFI-CONTRA-PK-REPLY"
EXTRA_CRLF = "ESWIFI-CONTRA-C6218-EXTRA-CRLF"
PROMPT_BEFORE_OK = "ESWIFI-CONTRA-P5-10-PROMPT-BEFORE-OK"
_TABLE_OK = re.compile(rb"(Ok|ok)\r\n> $")
REPLY_FORM_SIGNS: dict[str, Callable[[bytes], bool]] = {
    RESPONSE_FORM: lambda tail: bool(_TABLE_OK.search(tail)),  # 'Ok', 'xxxxx ok', '1ok'
    PROMPT_SPACE: lambda tail: tail.endswith(b"\r\n>"),
    PK_REPLY: lambda tail: tail.endswith(b"\r\n> ") and not _TABLE_OK.search(tail) and not tail.endswith(TERMINATOR),
    EXTRA_CRLF: lambda tail: tail.endswith(b"\r\n\r\n" + TERMINATOR),
    PROMPT_BEFORE_OK: lambda tail: b"> OK\r\n" in tail,
}


@contextlib.contextmanager
def reply_form(*ids: str) -> Iterator[None]:
    """Checks of a reply's form: a FAIL inside whose last bytes show the losing side of one of the settled
    contradictions ``ids`` (REPLY_FORM_SIGNS) names that contradiction and what settles it."""
    with contextlib.ExitStack() as stack:
        for cid in ids:
            stack.enter_context(contradictions.settled(cid, when=_shows(REPLY_FORM_SIGNS[cid])))
        yield


def _shows(sign: Callable[[bytes], bool]) -> Callable[[ConformanceFailure], bool]:
    return lambda exc: sign(exc.last_bytes)


def pattern(n: int, start: int = 0) -> bytes:
    """``n`` bytes cycling through every byte value from ``start`` (CR, LF, '>' and NUL included)."""
    return bytes((start + i) & 0xFF for i in range(n))


def configure(
    eswifi: ESWiFiSession,
    port: int,
    backlog: int = ESWIFI_SEED_BACKLOG,
    socket_number: int = 0,
    keepalive: tuple[int, int] = ESWIFI_SEED_KEEPALIVE,
) -> None:
    """The seed's settings on one socket: PK, P1=0 (TCP), P2=<port>, P8=<backlog>."""
    eswifi.select(socket_number)
    eswifi.ok("PK", *keepalive, requirement=f"precondition: PK={keepalive[0]},{keepalive[1]} is answered with OK")
    eswifi.ok("P1", 0, requirement="precondition: P1=0 (TCP) is answered with OK")
    eswifi.ok("P2", port, requirement=f"precondition: P2={port} is answered with OK")
    eswifi.ok("P8", backlog, requirement=f"precondition: P8={backlog} is answered with OK")


def start(eswifi: ESWiFiSession, mode: int = MULTI, requirement: str = "") -> Reply:
    return eswifi.ok("P5", mode, requirement=requirement or f"precondition: P5={mode} starts a {MODES[mode]} server")


def open_server(
    eswifi: ESWiFiSession, port: int, mode: int = MULTI, backlog: int = ESWIFI_SEED_BACKLOG, socket_number: int = 0
) -> None:
    configure(eswifi, port, backlog, socket_number)
    start(eswifi, mode)


def accepted(eswifi: ESWiFiSession, client: TcpClient, requirement: str = "", judged: bool = False) -> AsyncMessage:
    """The Accepted message that announces ``client``: its address, and its source port or the server's own
    port (the documents disagree: ESWIFI-CONTRA-ACCEPTED-PORT, recorded by a case that ``judged`` it)."""
    req = requirement or "the served client is announced by [TCP SVR] Accepted <its ip>:<port>"
    return eswifi.accepted(
        client.local[0], client.local[1], requirement=req, server_port=client.remote[1], judged=judged
    )


def accept(
    eswifi: ESWiFiSession,
    peer: Peer,
    port: int,
    source_port: int = 0,
    requirement: str = "",
    judged: bool = False,
) -> TcpClient:
    """Connect a peer and read the Accepted message that announces it."""
    client = peer.connect(port, source_port=source_port)
    accepted(eswifi, client, requirement or "precondition: a connecting client is announced by Accepted", judged)
    return client


def read_exactly(
    eswifi: ESWiFiSession, payload: bytes, read_size: int | None = None, requirement: str = ""
) -> list[Reply]:
    """R0 until ``payload`` has arrived whole and in order, each reply at most R1 bytes; the replies with data."""
    limit = eswifi.read_size if read_size is None else read_size
    req = requirement or "R0 returns the current client's bytes whole and in order, at most R1 per reply"
    deadline = time.monotonic() + eswifi.deadlines[1]
    got = bytearray()
    calls = 0
    replies: list[Reply] = []
    while len(got) < len(payload):
        eswifi.command("R0")
        calls += 1
        reply = eswifi.reply(ok_with(NOT_LOST), requirement=req)
        assert isinstance(reply, Reply)
        if reply.data:
            replies.append(reply)
        if len(reply.data) > limit:
            eswifi.fail(req, [f"at most R1={limit} bytes per R0"], [f"{len(reply.data)} bytes"], ["R0 exceeded R1"])
        got += reply.data
        if not reply.data and time.monotonic() >= deadline:
            break
    if bytes(got) != payload:
        eswifi.fail(
            req,
            [f"{len(payload)} bytes: {show_bytes(payload)}"],
            [f"{len(got)} bytes: {show_bytes(bytes(got))}"],
            [f"the bytes differ from byte {first_difference(payload, bytes(got))} (after {calls} R0)"],
        )
    return replies


def write(eswifi: ESWiFiSession, client: TcpClient, payload: bytes, requirement: str = "") -> Reply:
    """S3 the payload: answered with its length, and the client receives exactly those bytes."""
    req = requirement or "S3=<n> + n bytes is answered with n, and the client receives the n bytes"
    eswifi.send_s3(payload)
    reply = eswifi.reply(ok_with(str(len(payload)).encode("ascii")), requirement=req)
    assert isinstance(reply, Reply)
    got = client.recv_exactly(len(payload), within=eswifi.deadlines[1], requirement=req)
    if got != payload:
        eswifi.fail(
            req,
            [show_bytes(payload)],
            [show_bytes(got)],
            [f"the client received other bytes from byte {first_difference(payload, got)}"],
        )
    return reply


def next_client(eswifi: ESWiFiSession, requirement: str = "", another: bool = False) -> Reply:
    """P5=10 → OK. ``another``: a client waits, so its Accepted follows; whether it may come before
    the reply is a silent point (ESWIFI-SILENT-MESSAGE-PLACE), recorded."""
    reply = eswifi.ok("P5", 10, requirement=requirement or "precondition: P5=10 (next client) is answered with OK")
    if another and not eswifi.held_for_mr:  # a module that holds its messages places none between replies
        eswifi.pump_available()
        early = [
            m for m in eswifi.messages if m.text.startswith(eswifi.texts.accepted) and eswifi.came_before(m, reply)
        ]
        choice = "anywhere" if early else "after-reply"
        eswifi.on_observed(
            "ESWIFI-SILENT-MESSAGE-PLACE",
            choice,
            "the next client's Accepted came before P5=10's reply (or inside it)" if early else "",
        )
    return reply


def stop(eswifi: ESWiFiSession, requirement: str = "") -> Reply:
    return eswifi.ok("P5", 0, requirement=requirement or "precondition: P5=0 (stop the server) is answered with OK")


def closed_by_dut(client: TcpClient, within: float) -> tuple[bool, bytes]:
    """(True when the DUT closed the connection before the deadline, bytes received meanwhile)."""
    deadline = time.monotonic() + within
    data = bytearray()
    while (remaining := deadline - time.monotonic()) > 0:
        client.sock.settimeout(remaining)
        try:
            chunk = client.sock.recv(4096)
        except TimeoutError:
            break
        except OSError:
            client.trace.record(NET, text=f"{client.label}: connection reset by the DUT")
            return True, bytes(data)
        if not chunk:
            client.trace.record(NET, text=f"{client.label}: connection closed by the DUT")
            return True, bytes(data)
        data += chunk
        client.trace.record(NET, chunk, f"{client.label} received {len(chunk)} byte(s)")
    return False, bytes(data)


def expect_closed(eswifi: ESWiFiSession, client: TcpClient, requirement: str) -> None:
    """The DUT closes the client's connection (within the indication deadline), sending nothing more."""
    closed, data = closed_by_dut(client, eswifi.deadlines[1])
    if data:
        eswifi.fail(requirement, ["nothing more, then the connection closed"], [show_bytes(data)], ["unexpected bytes"])
    if not closed:
        eswifi.fail(
            requirement,
            [f"{client.label}'s connection closed by the DUT"],
            ["still open"],
            [f"not closed within {eswifi.deadlines[1]:g} s"],
        )


def expect_lost_r0(eswifi: ESWiFiSession, requirement: str) -> Reply:
    """R0 until the module notices the client has gone: empty data meanwhile, then ``-1``."""
    deadline = time.monotonic() + eswifi.deadlines[1]
    while True:
        eswifi.command("R0")
        reply = eswifi.reply(ok_with(b""), LOST_WITH_OK, LOST_WITHOUT_OK, requirement=requirement)
        assert isinstance(reply, Reply)
        if reply.lost:
            eswifi.lost_reply(reply, requirement)
            return reply
        if time.monotonic() >= deadline:
            eswifi.fail(
                requirement,
                [str(LOST_WITH_OK), str(LOST_WITHOUT_OK)],
                ["R0 kept answering empty data"],
                [f"no -1 within {eswifi.deadlines[1]:g} s of the client closing"],
            )


def expect_lost_s3(eswifi: ESWiFiSession, payload: bytes, requirement: str) -> Reply:
    """S3 to a client that has gone (and that R0 already reported lost) answers ``-1``."""
    eswifi.send_s3(payload)
    reply = eswifi.reply(LOST_WITH_OK, LOST_WITHOUT_OK, requirement=requirement)
    assert isinstance(reply, Reply)
    eswifi.lost_reply(reply, requirement)
    return reply


def abort(client: TcpClient) -> None:
    """Close with an RST (SO_LINGER 0) instead of a FIN."""
    client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.close()


def seed_text(eswifi: ESWiFiSession, reply: Reply, texts: list[str], requirement: str) -> None:
    """The reply's data should be the given message lines; their wording is a silent point (recorded), and
    so is their place: a module may send them as messages instead, with no data in the reply
    (ESWIFI-SILENT-WAITING-PLACEMENT)."""
    expected = "\r\n".join(texts).encode()
    if not reply.data:
        # As messages they may come before the reply or after its prompt: waited for until they are all there.
        found = eswifi.messages_where(lambda m: not m.text.startswith(eswifi.texts.accepted), len(texts), requirement)
        if len(found) < len(texts):
            eswifi.fail(
                requirement,
                [f"the reply's data {expected!r}", f"(UNCONFIRMED) {len(texts)} message(s) and no data"],
                [f"no data, {len(found)} message(s): {[m.text for m in found]}"],
                ["the server's texts are missing"],
            )
        for message in found[: len(texts)]:
            eswifi.messages.remove(message)
        eswifi.observe_once("ESWIFI-SILENT-WAITING-PLACEMENT", "messages", "the texts came as messages")
        got = "\r\n".join(m.text for m in found[: len(texts)]).encode()
        reply = Reply(got, True, raw=reply.raw)
    else:
        eswifi.observe_once("ESWIFI-SILENT-WAITING-PLACEMENT", "in-reply")
    if reply.data == expected:
        choice, detail = "dots", ""
    elif reply.data == expected.replace(b"...", "\u2026".encode()):
        choice, detail = "ellipsis", f"the reply's text is {reply.data!r}"
    else:
        choice, detail = "other-wording", f"the reply's text is {reply.data!r}; the seed shows {expected!r}"
    eswifi.on_observed("ESWIFI-SILENT-WAITING-TEXT", choice, detail)


def connect_or_refused(peer: Peer, port: int) -> TcpClient | None:
    """A client connection, or None when the DUT did not accept it (refused or unanswered)."""
    try:
        return peer.connect(port)
    except ConformanceFailure:
        return None


def client_data(index: int) -> bytes:
    """What client ``index`` (1-based) sends: its name, then bytes of every value from its own start."""
    return f"client {index}: ".encode("ascii") + pattern(64, start=index * 37)


def serve_in_order(eswifi: ESWiFiSession, clients: list[TcpClient], sent: list[bytes]) -> None:
    """The P5=10 loop: each client, in arrival order, is announced, read, written to and closed."""
    total = len(clients)
    for n, (client, data) in enumerate(zip(clients, sent, strict=True), start=1):
        accepted(eswifi, client, f"client {n} of {total} is announced (Accepted, its own ip:port) in arrival order")
        read_exactly(eswifi, data, requirement=f"R0 returns client {n}'s bytes, and only those")
        write(eswifi, client, f"reply to client {n}".encode("ascii"), requirement=f"S3 reaches client {n}")
        next_client(eswifi, requirement="P5=10 (next client) is answered with OK", another=n < total)
        expect_closed(eswifi, client, f"P5=10 closes client {n}'s connection")
