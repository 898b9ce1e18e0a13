"""ESWIFI-SSL: TCP-SSL (``P1=3``) as far as it can be checked without certificates: with none loaded, the
module refuses clearly (the error form to ``P1=3`` or ``P6=1``, or ``-1`` at the first ``S3``) and never
sends the data in clear.

Sources (docs/spec/eswifi-transport.md §8): ST's es_wifi.h (P1 value 3 is TCP-SSL; certificates by PF/PG,
the check by P9) and an ISM43340 host demo (P9: 0 no validation, 1 required). Which command refuses is a
silent point: every choice is accepted and recorded.
"""

from __future__ import annotations

from sockconf.harness.cases import case
from sockconf.harness.eswifi import AN_ERROR, LOST_WITH_OK, LOST_WITHOUT_OK, ESWiFiSession, ok_with
from sockconf.harness.peer import Peer
from sockconf.protocol.eswifi import Reply
from sockconf.suites.eswifi.transport import TCP_SSL, need, silent_choice

POINT = "ESWIFI-SILENT-TLS-UNCONFIGURED"


@case(
    "ESWIFI-SSL-01",
    "P1=3 (TCP-SSL) with no certificate loaded is refused clearly (error to P1=3 or P6=1, or -1 at the first S3) "
    "and no data reaches the peer in clear",
    kind="negative",
    verifies=("ESWIFI-TRANSPORT-P1",),
)
def test_tls_without_certificates(eswifi: ESWiFiSession, peer: Peer) -> None:
    need(eswifi, "tcp-ssl")
    server = peer.tcp_server()
    eswifi.select(0)
    eswifi.command("P1", TCP_SSL)
    selected = eswifi.reply(ok_with(b""), AN_ERROR, requirement="P1=3 is answered (OK or the error form)")
    if not isinstance(selected, Reply):
        silent_choice(eswifi, POINT, "protocol-refused")
        eswifi.ok("P0", data=b"0", requirement="after a refused P1=3 the module answers P0 normally")
        return
    eswifi.ok("P3", server.address, requirement=f"precondition: P3={server.address} is answered with OK")
    eswifi.ok("P4", server.port, requirement=f"precondition: P4={server.port} is answered with OK")
    eswifi.command("P6", 1)
    started = eswifi.reply(ok_with(b""), AN_ERROR, requirement="P6=1 with P1=3 is answered (the error form, or OK)")
    if isinstance(started, Reply):
        silent_choice(eswifi, POINT, "ok-then-lost")
        eswifi.send_s3(b"secret in clear")
        lost = eswifi.reply(
            LOST_WITH_OK, LOST_WITHOUT_OK, requirement="with no TLS session, the first S3 answers -1 (nothing sent)"
        )
        eswifi.lost_reply(lost, eswifi.requirement)
    else:
        silent_choice(eswifi, POINT, "connect-error")
        # No S3 went out: the module never had the data, so no watch at the peer could find it in clear.
        return
    # The module may have opened TCP to try a handshake; nothing it sends may be the data in clear.
    server.sock.settimeout(eswifi.deadlines[2])
    try:
        conn, _ = server.sock.accept()
    except (TimeoutError, OSError):
        return
    with conn:
        conn.settimeout(eswifi.deadlines[2])
        try:
            seen = conn.recv(4096)
        except (TimeoutError, OSError):
            seen = b""
    if b"secret" in seen:
        eswifi.fail(eswifi.requirement, ["no data in clear at the peer"], [repr(seen[:64])], ["S3's bytes in clear"])
