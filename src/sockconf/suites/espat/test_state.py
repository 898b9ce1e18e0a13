"""ESPAT-STATE: what the module shows of its links (AT+CIPSTATE?, and AT+CIPSTATUS where still answered)."""

from __future__ import annotations

from sockconf.harness.cases import case
from sockconf.harness.espat import EspAtSession
from sockconf.harness.peer import Peer
from sockconf.suites.espat.exchange import PORT, accept, cipstate, connect, open_server


@case(
    "ESPAT-STATE-01",
    "AT+CIPSTATE? with no connection is answered OK alone; with a server's client and a link of the module's, "
    "one line each: TCP, the remote address and port, the local port, <tetype> 1 and 0",
    verifies=(
        "ESPAT-DOC-TCPIP-CIPSTATE-01",
        "ESPAT-DOC-TCPIP-CIPSTATE-02",
        "ESPAT-DOC-TCPIP-CIPSTATE-03",
        "ESPAT-DOC-TCPIP-CIPSTATE-04",
        "ESPAT-DOC-TCPIP-CIPSTATE-05",
    ),
)
def test_cipstate(espat: EspAtSession, peer: Peer) -> None:
    response = espat.ok("+CIPSTATE?", requirement="AT+CIPSTATE? with no connection is answered OK alone")
    if response.lines:
        espat.fail(espat.requirement, ["OK alone"], response.shown(), ["lines with no connection"])
    open_server(espat)
    served, client = accept(espat, peer)
    own = connect(espat, peer, 3 if served != 3 else 2)
    assert own.link is not None
    want = {
        served: (served, "TCP", client.local[0], client.local[1], PORT, 1),
        own.link: (own.link, "TCP", own.client.local[0], own.client.local[1], own.client.remote[1], 0),
    }
    got = {s.link: tuple(s) for s in cipstate(espat)}
    if got != want:
        espat.fail(espat.requirement, [str(w) for w in want.values()], [str(g) for g in got.values()],
                   ["not one line per link with its type, addresses, ports and role"])  # fmt: skip


@case(
    "ESPAT-STATE-02",
    "AT+CIPSTATUS (dropped from the documents in v4.1) is answered STATUS:<stat> and one +CIPSTATUS line per link, "
    "or ERROR",
    verifies=("ESPAT-DOC-V21-CIPSTATUS-01",),
)
def test_cipstatus(espat: EspAtSession, peer: Peer) -> None:
    own = connect(espat, peer, 1)
    response = espat.at("+CIPSTATUS", requirement="AT+CIPSTATUS is answered")
    espat.expect_final(response, ("OK", "ERROR"), "a command's last message is OK or ERROR")
    if response.word == "ERROR":
        espat.on_observed("ESPAT-SILENT-CIPSTATUS", "error", "AT+CIPSTATUS is answered ERROR")
        return
    espat.on_observed("ESPAT-SILENT-CIPSTATUS", "supported", "")
    status = [t for t in response.texts() if t.startswith("STATUS:")]
    lines = response.info("CIPSTATUS")
    host, port = own.client.local
    want = f'1,"TCP","{host}",{port},{own.client.remote[1]},0'
    if len(status) != 1 or not status[0][7:].isdigit() or lines != [want]:
        espat.fail(espat.requirement, ["STATUS:<stat>", f"+CIPSTATUS:{want}", "OK"], response.shown(),
                   ["not the status and one line for link 1"])  # fmt: skip
