"""The eS-WiFi model's Wi-Fi station: joining the emulated access point and what the module says about it.

``C1`` (SSID), ``C2`` (passphrase), ``C3`` (security), ``C4`` (DHCP) set what ``C0`` joins; ``CD`` leaves;
``CS`` answers ``1``/``0``; ``C?`` shows the settings; ``Z5`` the MAC address. The access point is the
profile's ``[device.network]`` (by default the open network ``sockconf``, which any host joins); whether
the module has joined it at power-on is the profile's ``joined``. A join that cannot succeed (another
SSID, a wrong passphrase on a secured network) is answered with the error form.

Where the documents are silent the profile's ``[device]`` keys choose (the registry is
``sockconf/data/silent/eswifi.toml``): ``join_reply`` (``C0``'s data), ``join_when_joined`` (``C0`` on a
joined module) and ``c_field1`` (``C?`` field 1 when no passphrase is set). Sources: docs/host-stacks.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sockconf.emulator.eswifi.core import ModelCore, number
from sockconf.emulator.net import Action
from sockconf.protocol.eswifi import Command
from sockconf.protocol.profile import Profile

MAX_SSID = 32  # C1: ST's es_wifi.h ES_WIFI_MAX_SSID_NAME_SIZE
MAX_PASSPHRASE = 64  # C2: a WPA passphrase is at most 63 characters, a raw key 64 hex digits
SECURITY = range(6)  # C3: 0 open, 1 WEP, 2 WPA, 3 WPA2, 4 WPA/WPA2, 5 WPA2-TKIP (ST's ES_WIFI_SecurityType_t)
# C? field 1 when no passphrase is set and the module shows a placeholder there (ESWIFI-SILENT-C-FIELDS).
NO_PASSPHRASE = "none"
DEFAULT_MAC = "C4:7F:51:01:12:31"


@dataclass
class Network:
    """An access point, or what C1/C2/C3 set for the next join."""

    ssid: str
    passphrase: str
    security: int

    def admits(self, wanted: Network) -> bool:
        """Whether a station configured as ``wanted`` joins this access point."""
        if wanted.ssid != self.ssid:
            return False
        if self.security == 0:
            return True  # an open network takes any station, whatever security it was told to use
        return wanted.security != 0 and wanted.passphrase == self.passphrase


class WiFiModel(ModelCore):
    """The module as a Wi-Fi station of the emulated access point."""

    def __init__(self, profile: Profile, *args: Any, **kwargs: Any) -> None:
        super().__init__(profile, *args, **kwargs)
        device = self.device
        net: Mapping[str, Any] = device.get("network", {})
        self.access_point = Network(
            str(net.get("ssid", "sockconf")), str(net.get("passphrase", "")), int(net.get("security", 0))
        )
        # A module that joined at power-on was configured for this network (what C? shows).
        self.station = Network(self.access_point.ssid, self.access_point.passphrase, self.access_point.security)
        self.dhcp = 1
        self.joined = bool(device.get("joined", True))
        self.auto_connect = int(self.joined)  # a module joined at power-on joins by itself
        self.mac = str(device.get("mac", DEFAULT_MAC))
        self.join_reply = str(device.get("join_reply", "join-line"))
        self.join_when_joined = str(device.get("join_when_joined", "already-connected"))
        self.c_field1 = str(device.get("c_field1", "non-empty"))

    def command_table(self) -> dict[str, Callable[[Command, list[Action]], None]]:
        return {
            **super().command_table(),
            "C0": self._join,
            "C1": self._ssid,
            "C2": self._passphrase,
            "C3": self._security,
            "C4": self._dhcp,
            "CD": self._leave,
            "CS": self._status,
            "C?": self._network_settings,
            "Z5": self._mac,
        }

    @property
    def on_network(self) -> bool:
        """Joined, and (for a state not ready yet) able to be."""
        return self.joined and self.state.connection_status() == b"1"

    @property
    def address(self) -> str:
        """The module's IPv4 address on the network (0.0.0.0 while it has none)."""
        return self.state.local_ip(self.host_ip) if self.joined else "0.0.0.0"

    # ------------------------------------------------------------------ settings for the next join

    def _text_setting(self, cmd: Command, out: list[Action], field: str, limit: int, usage: str) -> None:
        if not cmd.params:
            self._reply(cmd, out, getattr(self.station, field).encode("ascii", "replace"))
            return
        text = ",".join(cmd.params)  # an SSID or passphrase may hold commas
        if len(text) > limit or not text.isascii():
            self._error(cmd, out, f"Invalid {field}", usage)
            return
        setattr(self.station, field, text)
        self._reply(cmd, out)

    def _ssid(self, cmd: Command, out: list[Action]) -> None:
        if cmd.params == ("",):
            self._error(cmd, out, "Invalid ssid", f"C1=<1-{MAX_SSID} characters>")
            return
        self._text_setting(cmd, out, "ssid", MAX_SSID, f"C1=<1-{MAX_SSID} characters>")

    def _passphrase(self, cmd: Command, out: list[Action]) -> None:
        # C2= (empty) is what hosts send for an open network.
        self._text_setting(cmd, out, "passphrase", MAX_PASSPHRASE, f"C2=<0-{MAX_PASSPHRASE} characters>")

    def _security(self, cmd: Command, out: list[Action]) -> None:
        if not cmd.params:
            self._reply(cmd, out, str(self.station.security).encode("ascii"))
            return
        value = number(cmd.params[0], SECURITY.start, SECURITY.stop - 1) if len(cmd.params) == 1 else None
        if value is None:
            self._error(cmd, out, "Invalid security type", "C3=<0-5>")
            return
        self.station.security = value
        self._reply(cmd, out)

    def _dhcp(self, cmd: Command, out: list[Action]) -> None:
        if not cmd.params:
            self._reply(cmd, out, str(self.dhcp).encode("ascii"))
            return
        value = number(cmd.params[0], 0, 1) if len(cmd.params) == 1 else None
        if value is None:
            self._error(cmd, out, "Invalid DHCP mode", "C4=<0/1>")
            return
        self.dhcp = value
        self._reply(cmd, out)

    # ------------------------------------------------------------------ joining and leaving

    def _join(self, cmd: Command, out: list[Action]) -> None:
        if self.joined and self.join_when_joined == "already-connected":
            # Arm's CMSIS-Driver (WiFi_Activate) takes an error reply naming "Already connected!" as success.
            self._error(cmd, out, "Already connected!", None)
            return
        self.joined = False
        refused = self.state.join_refused()
        if refused is not None or not self.access_point.admits(self.station):
            self._error(cmd, out, f"JOIN Failed to join {self.station.ssid}", None)
            return
        self.joined = True
        data = b""
        if self.join_reply == "join-line":
            # As ST's es_wifi.c (ES_WIFI_Connect's comment) and Zephyr's eswifi_connect show it.
            data = f"[JOIN   ] {self.station.ssid},{self.address},0,0".encode("ascii", "replace")
        self._reply(cmd, out, data)

    def _leave(self, cmd: Command, out: list[Action]) -> None:
        self.joined = False
        self._reply(cmd, out)

    def _status(self, cmd: Command, out: list[Action]) -> None:
        self._reply(cmd, out, b"1" if self.fault.reports_joined(self.on_network) else b"0")

    def _network_settings(self, cmd: Command, out: list[Action]) -> None:
        # Field order as ST's es_wifi.c (AT_ParseConnSettings) and stm32duino read C?: SSID, passphrase,
        # security, DHCP, IP version, IP address, mask, gateway, DNS 1, DNS 2, join retries, auto-connect;
        # Arm's CMSIS-Driver reads field 14 as the station's status (1 connected). Fields 12 and 13 are
        # read by no host found; they show 0.
        station = self.station
        passphrase = station.passphrase
        if not passphrase and self.c_field1 == "non-empty":
            passphrase = NO_PASSPHRASE  # Mbed's strtok would shift every later field over an empty one
        joined = self.fault.reports_joined(self.on_network)
        address = self.address if joined else "0.0.0.0"
        mask, gateway = ("255.0.0.0", "127.0.0.1") if joined else ("0.0.0.0", "0.0.0.0")
        fields = [station.ssid, passphrase, station.security, self.dhcp, 0, address, mask, gateway, gateway]
        fields += ["0.0.0.0", 5, self.auto_connect, 0, 0, int(joined)]
        self._reply(cmd, out, ",".join(str(f) for f in fields).encode("ascii", "replace"))

    def _mac(self, cmd: Command, out: list[Action]) -> None:
        self._reply(cmd, out, self.mac.encode("ascii", "replace"))
