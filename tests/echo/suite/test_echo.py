"""The echo family's case, and one host-stack case (a terminal program that waits for OK)."""

from sockconf.harness.cases import case
from sockconf.harness.expect import ConformanceFailure


@case("ECHO-01", "EC=<text> is answered with the text, then OK and the prompt")
def test_echo(session):
    reply = session.command(b"EC=hello")
    if reply != b"\r\nhello\r\nOK\r\n> ":
        raise ConformanceFailure(session.requirement, [repr(b"\r\nhello\r\nOK\r\n> ")], [repr(reply)], ["reply"])


@case("ECHO-HOST-TERM-01", "the terminal's one exchange works", kind="host-stack", stack="term")
def test_terminal(session, host_stack):
    with host_stack.step("greet: EC=ping"):
        reply = session.command(b"EC=ping")
    with host_stack.step("wait_ok"):
        host_stack.needs(b"\r\nOK\r\n" in reply, "an OK line after the echoed text", reply)
