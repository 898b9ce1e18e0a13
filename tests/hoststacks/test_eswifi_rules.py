"""The eS-WiFi drivers' reply rules as suites/eswifi/hosts.py restates them, on the reply forms of
docs/host-stacks.md ("The reply forms each parser requires"): what each driver makes of each form."""

from __future__ import annotations

import pytest

from sockconf.suites.eswifi import hosts

EMPTY_OK = b"\r\n\r\nOK\r\n> "  # the data sheet's 10-byte empty success
SHORT_OK = b"\r\nOK\r\n> "  # 8 bytes
LOST_WITH_OK = b"\r\n-1\r\nOK\r\n> "
LOST_WITHOUT_OK = b"\r\n-1\r\n> "
ERROR = b"\r\nERROR: Unknown Command\r\n> "


@pytest.mark.parametrize(
    ("raw", "st", "zephyr", "mbed"),
    [
        (EMPTY_OK, ("ok", b""), b"", ("ok", b"")),
        (SHORT_OK, ("io-error", b""), None, ("ok", b"")),
        (b"\r\ndata\r\nOK\r\n> ", ("ok", b"data"), b"data", ("ok", b"data")),
        (b"\r\ndata\r\nOK\r\n> \x15", ("ok", b"data"), b"data", ("ok", b"data")),
        (LOST_WITH_OK, ("ok", b"-1"), b"-1", ("ok", b"-1")),
        (LOST_WITHOUT_OK, ("io-error", b""), None, ("closed", b"")),
        (b"data\r\nOK\r\n> ", ("io-error", b""), None, ("ok", b"data")),
        (
            b"\r\n[SOMA][TCP SVR] Accepted 1.2.3.4:5[EOMA]\r\nOK\r\n> ",
            ("ok", b"[SOMA][TCP SVR] Accepted 1.2.3.4:5[EOMA]"),
            b"[SOMA][TCP SVR] Accepted 1.2.3.4:5[EOMA]",
            ("ok", b"[SOMA][TCP SVR] Accepted 1.2.3.4:5[EOMA]"),
        ),
    ],
)
def test_what_each_driver_makes_of_an_r0_reply(raw, st, zephyr, mbed):
    assert hosts.st_receive(raw) == st
    assert hosts.zephyr_rsp(raw) == zephyr
    assert hosts.mbed_receive(raw) == mbed


def test_st_success_is_ok_anywhere_before_a_nul():
    assert hosts.st_ok(EMPTY_OK) and hosts.st_ok(SHORT_OK) and hosts.st_ok(b"junk" + EMPTY_OK)
    assert not hosts.st_ok(ERROR) and not hosts.st_ok(b"\r\n\0" + EMPTY_OK)


def test_st_waits_on_p_field_1_and_mr_markers():
    assert hosts.st_no_client(b"\r\n0,0.0.0.0,5024,0.0.0.0,0,1\r\nOK\r\n> ")
    assert not hosts.st_no_client(b"\r\n0,10.0.0.2,5024,10.0.0.1,4000,1\r\nOK\r\n> ")
    assert hosts.st_mr(b"\r\n[SOMA][EOMA]\r\nOK\r\n> ") and hosts.st_mr(EMPTY_OK)
    assert hosts.st_mr(b"\r\n[SOMA][TCP SVR] Accepted 1.2.3.4:5[EOMA]\r\nOK\r\n> ")
    assert not hosts.st_mr(b"\r\n[SOMA][TCP SVR] Waiting on connection...[EOMA]\r\nOK\r\n> ")


def test_zephyr_needs_its_leading_crlf_and_ok_after_byte_1():
    assert hosts.zephyr_rsp(b"\r\n\r\n\r\nOK\r\n> ") == b"\r\n"  # C6.2.1.8's 12-byte empty success
    assert hosts.zephyr_rsp(ERROR) is None
    assert hosts.zephyr_message(b"[SOMA][EOMA]") == ""
    assert hosts.zephyr_message(b"") is None
    assert hosts.zephyr_accepted_port("[TCP SVR] Accepted 10.0.0.2:5024") == ("10.0.0.2", 5024)
    assert hosts.zephyr_join_address(b"[JOIN   ] net,10.0.0.9,0,0", "net") == "10.0.0.9"
    assert hosts.zephyr_join_address(b"", "net") is None


def test_mbed_check_response_allows_the_pad_and_one_byte_after_the_prompt():
    assert hosts.mbed_check_response(EMPTY_OK) == ""
    assert hosts.mbed_check_response(EMPTY_OK + b"\x15\x15") == ""
    assert hosts.mbed_check_response(EMPTY_OK + b"x") == ""
    assert hosts.mbed_check_response(EMPTY_OK + b"xy").startswith("1 byte(s) after the prompt")
    assert hosts.mbed_check_response(ERROR) == "no line OK"


def test_mbed_reads_the_address_with_strtok():
    reply = b"\r\nnet,pass,0,1,0,10.0.0.9,255.0.0.0,10.0.0.1,8.8.8.8,8.8.4.4,3,1\r\nOK\r\n> "
    assert hosts.mbed_address(reply) == ("10.0.0.9", True)
    assert hosts.mbed_address(reply.replace(b"pass", b"")) == ("255.0.0.0", True)  # an empty field 1 shifts it
    identity = b"\r\nISM43362-M3G-L44-SPI,C3.5.2.5.STM,v3.5.2,v1.4.0.rc1,v8.2.1,120000000,Inventek eS-WiFi\r\nOK\r\n> "
    assert hosts.mbed_version(identity) == (7, 3525)
