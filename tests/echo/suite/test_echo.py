"""The echo family's one case."""

from sockconf.harness.cases import case
from sockconf.harness.expect import ConformanceFailure


@case("ECHO-01", "EC=<text> is answered with the text, then OK and the prompt")
def test_echo(session):
    reply = session.command(b"EC=hello")
    if reply != b"\r\nhello\r\nOK\r\n> ":
        raise ConformanceFailure(session.requirement, [repr(b"\r\nhello\r\nOK\r\n> ")], [repr(reply)], ["reply"])
