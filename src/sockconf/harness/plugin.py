"""pytest options and the fixtures every family shares: DUT, profile, driver, DUT link, peer, session.

DUTs parametrize the cases (``dut_spec``, a ``sockconf.harness.lab.Dut``): every case runs against every DUT
of its family. The DUTs are those of the lab file (``--lab``, ``--dut``), or without one, one DUT per
profile named after it: with the emulator driver every built-in profile of a case's family (one
emulator per profile, shared by its cases); with real hardware, the profile(s) named by
``--profile``. A case's family is the family whose suite folder holds it (``core.family``). Options
that belong to one driver are declared by that driver (``drivers.base.Option``) and checked by it.
Each DUT's cases carry an ``xdist_group`` mark of the DUT's name: under ``-n N --dist loadgroup``
(implied by ``--lab``) one DUT's cases run one at a time on one worker, different DUTs in parallel.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import ipaddress
import os
from collections.abc import Generator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from sockconf import drivers
from sockconf.core.family import FamilyError, families, family_of_path, profile_dirs
from sockconf.core.record import (
    IDENTITY_KEY,
    PREFLIGHT_KEY,
    Inconclusive,
    case_marker,
    inconclusive,
    preflight_failed,
    record_contradictions,
    record_identity,
    record_preflight,
    record_requirements,
    record_trace,
)
from sockconf.drivers.base import Driver, DriverConfig, DriverError, DriverUsageError
from sockconf.drivers.probe import probe_port
from sockconf.harness import hoststack
from sockconf.harness.host import FamilyHost, case_session, family_host
from sockconf.harness.lab import AUTO, Dut, LabError, auto_profile, duts_from_profiles, is_auto, load_lab
from sockconf.harness.link import DutLink
from sockconf.harness.peer import Peer
from sockconf.harness.preflight import NOT_TESTED, announce, run_preflight
from sockconf.protocol.profile import Profile, ProfileError, available_profiles, load_profile


def _builtin_profiles() -> list[str]:
    return sorted({name for d in profile_dirs() for name in available_profiles(d)})


def _load_profile(name: str) -> Profile:
    """A profile by path, or by name from any family's profile folder."""
    if name.endswith(".toml"):
        return load_profile(name)
    for directory in profile_dirs():
        if name in available_profiles(directory):
            return load_profile(name, directory)
    raise ProfileError(f"no profile {name!r}: give a built-in name ({', '.join(_builtin_profiles())}) or a .toml path")


def plugin_will_load(pluginmanager: pytest.PytestPluginManager, name: str) -> bool:
    """Whether the pytest plugin ``name`` (an entry-point name) is, or is about to be, loaded in this run."""
    if pluginmanager.has_plugin(name):
        return True
    if pluginmanager.is_blocked(name) or os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        return False
    return any(ep.name == name for ep in importlib.metadata.entry_points(group="pytest11"))


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    g = parser.getgroup("sockconf", "sockconf: the device under test")
    names = drivers.driver_names()
    g.addoption(
        "--driver",
        default="emulator",
        choices=names,
        help="how to reach the DUT: "
        + "; ".join(f"{cls.name}: {cls.summary}" for cls in drivers.driver_classes())
        + " (default emulator)",
    )
    g.addoption(
        "--profile",
        action="append",
        default=[],
        metavar="NAME|PATH",
        help=f"DUT profile; repeatable. Built in: {', '.join(_builtin_profiles())}. "
        "Default with the emulator: every built-in profile of each family. "
        "'auto' (serial driver): the profile the module on --port reports",
    )
    g.addoption(
        "--lab",
        metavar="LAB.toml",
        help="run against the DUTs listed in this lab file ([[dut]] tables: name, port or driver, profile, ...); "
        "with -n N, each DUT's cases run on one worker (--dist loadgroup)",
    )
    g.addoption("--dut", action="append", default=[], metavar="NAME", help="only this DUT of the lab file (repeatable)")
    g.addoption("--dut-host", metavar="ADDR", help="the DUT's address for the peer (default: ask the DUT, e.g. ATMY)")
    g.addoption("--peer-bind", metavar="ADDR", default="", help="source address of the peer's connections")
    g.addoption(
        "--deadline-scale",
        type=float,
        default=1.0,
        metavar="X",
        help="multiply every deadline of the profile by X (e.g. 3 for a slow cellular link; default 1)",
    )
    g.addoption(
        "--soak",
        type=int,
        default=0,
        metavar="N",
        help="run N random sequences in the stateful (property-based) cases instead of a few fixed ones",
    )
    g.addoption(
        "--case",
        action="append",
        default=[],
        metavar="PREFIX",
        help="run only cases whose ID starts with PREFIX (repeatable), e.g. --case XBEE-LISTEN-05",
    )
    g.addoption(
        "--host-stack",
        action="append",
        default=[],
        metavar="NAME",
        help="run only the host-stack cases of this host driver (repeatable; e.g. st, zephyr, mbed, digi; "
        "'none': no host-stack case). Default: every stack that drives the DUT's profile",
    )
    seen: dict[str, Any] = {}
    for cls in drivers.driver_classes():
        for option in cls.options:
            if option.flag in seen:
                if seen[option.flag] != option:
                    raise ValueError(f"drivers declare {option.flag} differently; share one Option")
                continue
            seen[option.flag] = option
            if option.provided_by and plugin_will_load(pluginmanager, option.provided_by):
                continue
            kwargs: dict[str, Any] = {"help": f"[{cls.name}] {option.help}", "default": option.default}
            if option.metavar:
                kwargs["metavar"] = option.metavar
            if option.choices:
                kwargs["choices"] = list(option.choices)
            if option.type is not str:
                kwargs["type"] = option.type
            if option.repeat:
                kwargs["action"] = "append"
            g.addoption(option.flag, dest=option.dest, **kwargs)


def driver_values(config: pytest.Config, driver: type[Driver]) -> dict[str, Any]:
    """The values of the options ``driver`` owns, by ``Option.dest``."""
    return {o.dest: config.getoption(o.dest) for o in driver.options}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "case(case_id, requirement, kind='positive', verifies=()): a conformance case")
    if not config.pluginmanager.has_plugin("sockconf-preflight"):
        config.pluginmanager.register(PreflightOutcome(), "sockconf-preflight")
    opt = config.option
    for value, name in ((opt.dut_host, "--dut-host"), (opt.peer_bind, "--peer-bind")):
        if value:
            try:
                ipaddress.IPv4Address(value)
            except ValueError:
                raise pytest.UsageError(f"{name} wants an IPv4 address such as 127.0.0.1, not {value!r}") from None
    if opt.soak < 0:
        raise pytest.UsageError(f"--soak wants a number of sequences (0 or more), not {opt.soak}")
    try:
        hoststack.check_choices(opt.host_stack, families())
    except hoststack.HostStackError as exc:
        raise pytest.UsageError(str(exc)) from None
    if not 0.01 <= opt.deadline_scale <= 100:
        raise pytest.UsageError(f"--deadline-scale wants a factor between 0.01 and 100, not {opt.deadline_scale}")
    if opt.lab:
        _configure_lab(config)
        return
    if opt.dut:
        raise pytest.UsageError("--dut picks DUTs of a lab file: give --lab LAB.toml too")
    auto = AUTO in opt.profile
    try:
        profiles = [_load_profile(name) for name in opt.profile if name != AUTO]
    except (ProfileError, FamilyError) as exc:
        raise pytest.UsageError(str(exc)) from None
    driver = drivers.driver_class(opt.driver)
    # An option of another driver, given on the command line, is a mistake worth saying.
    for other in drivers.driver_classes():
        for option in other.options:
            if other is not driver and option not in driver.options and config.getoption(option.dest) is not None:
                raise pytest.UsageError(f"{option.flag} is an option of --driver {other.name}, not {driver.name}")
    values = driver_values(config, driver)
    if auto:
        if not values.get("port"):
            raise pytest.UsageError("--profile auto probes the module on --port: give --driver serial --port PORT")
        found = _resolve_auto(config, Dut(AUTO, auto_profile(AUTO), driver.name, values))
        profiles.append(found.profile)
        values = dict(found.options)
    try:
        driver.check_options(values, profiles)
    except DriverUsageError as exc:
        raise pytest.UsageError(str(exc)) from None
    chosen = profiles or [_load_profile(name) for name in _builtin_profiles()]
    config.stash[_DUTS] = duts_from_profiles(chosen, driver.name, values, opt.dut_host)
    config.stash[_LAB] = False
    # Emulated DUTs under -n N: every worker starts its own emulator of each profile, so a DUT's cases need
    # not stay on one worker (a lab's real DUTs must: loadgroup, above). Work stealing evens out the few
    # long cases (ESWIFI-MA-01's keep-alive watch, ESWIFI-FRAMING-04's payload timeout) at the end.
    chose = any(a == "--dist" or a.startswith("--dist=") for a in config.invocation_params.args)
    distributed = getattr(opt, "numprocesses", None) and getattr(opt, "dist", "no") == "load"
    if driver.name == "emulator" and distributed and not chose and not hasattr(config, "workerinput"):
        opt.dist = "worksteal"


_DUTS = pytest.StashKey[list[Dut]]()
_LAB = pytest.StashKey[bool]()
_LOADGROUP_KEY = "sockconf_loadgroup"  # xdist: the controller chose --dist loadgroup for a lab
_AUTO_KEY = "sockconf_auto_profiles"  # xdist: the controller's probe results, so workers do not probe again


def _resolve_auto(config: pytest.Config, dut: Dut) -> Dut:
    """``profile = "auto"``: the profile (and baud) the module on the DUT's port reports."""
    port = str(dut.options.get("port") or "")
    if not port:
        raise pytest.UsageError(f"DUT {dut.name}: profile auto needs a port to probe")
    known: dict[str, Any] = getattr(config, "workerinput", {}).get(_AUTO_KEY, {})
    if dut.name in known:
        profile_name, baud = known[dut.name]
    else:
        bauds = (int(dut.options["baud"]),) if dut.options.get("baud") else None
        result = probe_port(port, bauds)
        if result.error or not result.profile:
            raise pytest.UsageError(f"--profile auto: {port}: {result.error or 'no module answered'}")
        profile_name, baud = result.profile, result.baud
        config.stash.setdefault(_AUTO_FOUND, {})[dut.name] = (profile_name, baud)
    options = dict(dut.options)
    options.setdefault("baud", None)
    if options["baud"] is None:
        options["baud"] = baud
    name = dut.name if dut.name != AUTO else profile_name
    return Dut(name, _load_profile(profile_name), dut.driver, options, dut.dut_host)


_AUTO_FOUND = pytest.StashKey[dict[str, tuple[str, int]]]()


def _configure_lab(config: pytest.Config) -> None:
    opt = config.option
    if opt.profile:
        raise pytest.UsageError("--profile and --lab: the lab file names each DUT's profile")

    def defaults(name: str) -> dict[str, Any]:
        return driver_values(config, drivers.driver_class(name))

    try:
        duts = load_lab(Path(opt.lab), _load_profile, defaults, opt.dut)
    except LabError as exc:
        raise pytest.UsageError(str(exc)) from None
    duts = [_resolve_auto(config, d) if is_auto(d) else d for d in duts]
    for dut in duts:
        try:
            drivers.driver_class(dut.driver).check_options(dut.options, [dut.profile])
        except DriverUsageError as exc:
            raise pytest.UsageError(f"DUT {dut.name} ({opt.lab}): {exc}") from None
    config.stash[_DUTS] = duts
    config.stash[_LAB] = True
    # One DUT's cases on one worker, one at a time; different DUTs in parallel. The workers learn it
    # from the controller (``pytest_configure_node``): they mark each item's node ID with its group.
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        if workerinput.get(_LOADGROUP_KEY):
            opt.loadgroup = True
        return
    chose = any(a == "--dist" or a.startswith("--dist=") for a in config.invocation_params.args)
    if getattr(opt, "numprocesses", None) and getattr(opt, "dist", "no") in ("no", "load") and not chose:
        opt.dist = "loadgroup"


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: absent without xdist
def pytest_configure_node(node: Any) -> None:
    """xdist: hand the workers what ``profile = auto`` found, so only the controller probes ports."""
    node.workerinput[_AUTO_KEY] = node.config.stash.get(_AUTO_FOUND, {})
    node.workerinput[_LOADGROUP_KEY] = node.config.getoption("dist", "no") == "loadgroup"


def _not_applicable(metafunc: pytest.Metafunc, reason: str) -> None:
    metafunc.parametrize(
        "dut_spec",
        [pytest.param(None, marks=pytest.mark.skip(reason=f"NOT APPLICABLE: {reason}"))],
        ids=["none"],
        indirect=True,
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "dut_spec" not in metafunc.fixturenames:
        return
    family = family_of_path(Path(str(metafunc.definition.path)))
    config = metafunc.config
    duts = config.stash.get(_DUTS, [])
    mine = [d for d in duts if family is not None and d.family == family.name]
    declined = {d.name: drivers.driver_class(d.driver).not_applicable(d.family, d.options) for d in mine}
    if mine and all(declined.values()):
        _not_applicable(metafunc, declined[mine[0].name])
    elif mine:
        params = []
        for d in mine:
            marks = [pytest.mark.xdist_group(d.name)]
            if declined[d.name]:
                marks.append(pytest.mark.skip(reason=f"NOT APPLICABLE: {declined[d.name]}"))
            params.append(pytest.param(d, marks=marks, id=d.name))
        metafunc.parametrize("dut_spec", params, indirect=True, scope="session")
    else:
        what = "DUT" if config.stash.get(_LAB, False) else "profile"
        named = ", ".join(d.name for d in duts)
        _not_applicable(metafunc, f"no {family.name if family else 'matching'} {what} selected (selected: {named})")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    prefixes: list[str] = config.getoption("case")
    if not prefixes and not config.getoption("host_stack"):
        return
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        marker = case_marker(item)
        wanted = marker is not None and (not prefixes or any(marker.case_id.startswith(p) for p in prefixes))
        if wanted and marker is not None and marker.stack and not hoststack.selected(config, marker.stack):
            wanted = False
        (keep if wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def dut_spec(request: pytest.FixtureRequest) -> Dut:
    """The DUT a case runs against (name, profile, driver, the driver's options)."""
    spec: Dut = request.param
    return spec


@pytest.fixture(scope="session")
def dut_profile(dut_spec: Dut, request: pytest.FixtureRequest) -> Profile:
    profile: Profile = dut_spec.profile
    scale: float = request.config.getoption("deadline_scale")
    if scale != 1.0:
        profile = replace(profile, deadlines=profile.deadlines.scaled(scale))
    return profile


@pytest.fixture(scope="session")
def dut_link(request: pytest.FixtureRequest, dut_spec: Dut, dut_profile: Profile) -> Iterator[DutLink]:
    config = DriverConfig(profile=dut_profile, options=dut_spec.options)
    driver = drivers.create(dut_spec.driver, config)
    link = DutLink(driver, dut_profile, host=dut_spec.dut_host, name=dut_spec.name)
    link.stop_run_if_unusable = not request.config.stash.get(_LAB, False)
    try:
        driver.open()
    except DriverError as exc:
        if not request.config.stash.get(_LAB, False):
            pytest.exit(f"sockconf: {exc}", returncode=4)
        # One DUT of a lab that cannot be reached makes its own cases INCONCLUSIVE, no one else's.
        driver.closed = True
        link.lost = f"DUT {dut_spec.name} cannot be reached: {exc}"
    yield link
    driver.close()


@pytest.fixture
def dut(request: pytest.FixtureRequest, dut_link: DutLink) -> Driver:
    """The driver, with a fresh trace for this case (dead DUTs fail fast instead of waiting)."""
    driver = dut_link.driver
    if not dut_link.identity:
        dut_link.identity.update({"dut": dut_link.name, "profile": dut_link.profile.name, **driver.identity()})
    record_identity(request.node, dut_link.identity)  # the family's host adds firmware etc. once
    if dut_link.preflight is None and not dut_link.lost:
        _preflight(request, dut_link)
    record_preflight(request.node, dut_link.preflight or [])
    if dut_link.not_ready:
        inconclusive(f"not tested: the DUT is not ready (preflight): {dut_link.not_ready}")
    reason = dut_link.dead_reason()
    if reason:
        inconclusive(f"{reason}; not tried again")
    driver.trace.restart()
    record_trace(request.node, driver.trace)
    return driver


def _preflight(request: pytest.FixtureRequest, link: DutLink) -> None:
    """The DUT's preflight, once per link before its first case; a DUT not ready is announced at once."""
    family = family_of_path(Path(str(request.node.path)))
    if family is None:
        link.preflight = []
        return
    host = family_host(link, family.load("host"))
    checks = run_preflight(link, host.preflight)
    lines = announce(link.name or link.profile.name, checks)
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if lines and reporter is not None:
        # Said once, on the terminal itself (not into the first case's captured output).
        with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
            reporter.ensure_newline()
            for line in lines:
                reporter.write_line(line, yellow=True, bold=line is lines[0])


@pytest.fixture
def session(request: pytest.FixtureRequest, dut: Driver, dut_link: DutLink) -> Any:
    """The case's family session on its DUT, reset for the case (the family's ``FamilyHost``)."""
    family = family_of_path(Path(str(request.node.path)))
    if family is None:
        raise pytest.UsageError(f"{request.node.nodeid} is not in any family's suite folder")
    host_class: type[FamilyHost] = family.load("host")
    return case_session(request, dut_link, host_class)


@pytest.fixture
def peer(request: pytest.FixtureRequest, dut: Driver, dut_link: DutLink) -> Iterator[Peer]:
    host = dut_link.host or dut.dut_host
    if host is None:
        raise pytest.UsageError("no --dut-host given and the DUT's address is unknown")
    p = Peer(
        host,
        dut.trace,
        bind_host=request.config.getoption("peer_bind"),
        timeout=dut_link.profile.deadlines.indication,
    )
    yield p
    p.close_all()


@pytest.fixture
def host_stack(request: pytest.FixtureRequest, dut_spec: Dut, dut_profile: Profile) -> hoststack.HostStackRun:
    """A host-stack case's walk through its driver's flow (NOT APPLICABLE where the stack does not
    drive the DUT's profile, before the DUT is touched: the case names its DUT here for the report)."""
    family = family_of_path(Path(str(request.node.path)))
    name = hoststack.stack_of(request.node)
    known = hoststack.stacks(family.name) if family is not None else {}
    if name not in known:
        raise pytest.UsageError(f"{request.node.nodeid}: no host stack {name!r} in the family's hoststacks file")
    run = hoststack.HostStackRun(request.node, known[name])  # recorded even when it does not apply
    if name not in dut_profile.host_stacks:
        record_identity(request.node, {"dut": dut_spec.name or dut_profile.name, "profile": dut_profile.name})
        drives = ", ".join(dut_profile.host_stacks) or "none"
        pytest.skip(
            f"NOT APPLICABLE: {known[name].name} does not drive profile {dut_profile.name} (its stacks: {drives})"
        )
    return run


def strict_mode(config: pytest.Config) -> bool:
    """pytest's own ``--strict`` (its ini ``strict``) also makes UNCONFIRMED deviations FAIL.

    pytest owns the option name; its other strictness checks (markers, xfail, IDs) hold anyway here.
    """
    return bool(config.getini("strict"))


@pytest.fixture
def strict(request: pytest.FixtureRequest) -> bool:
    return strict_mode(request.config)


# --------------------------------------------------------------------------- preflight outcome of the run


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    """Mark each report with what the run's exit status needs: a failed preflight, an INCONCLUSIVE failure.

    The marks are plain data on the report, so pytest-xdist workers hand them to the controller.
    """
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    checks = item.stash.get(PREFLIGHT_KEY, None)
    if checks and report.when == "setup":
        failed = preflight_failed(checks)
        if failed:
            profile = item.stash.get(IDENTITY_KEY, {}).get("profile", "")
            setattr(report, "sockconf_not_ready", [profile, *(c.line() for c in failed)])  # noqa: B010
    if report.failed and call.excinfo is not None and isinstance(call.excinfo.value, Inconclusive):
        setattr(report, "sockconf_inconclusive", True)  # noqa: B010


class PreflightOutcome:
    """The run's view of the preflights: DUTs not ready, whether any case FAILed, the exit status."""

    def __init__(self) -> None:
        self.not_ready: dict[str, list[str]] = {}
        self.failed = False

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        not_ready = getattr(report, "sockconf_not_ready", None)
        if not_ready:
            self.not_ready.setdefault(str(not_ready[0]), [str(line) for line in not_ready[1:]])
        if report.failed and not getattr(report, "sockconf_inconclusive", False):
            self.failed = True

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        # "Not tested" (a DUT was not ready) is told apart from "failed" when no case FAILed.
        if self.not_ready and not self.failed and session.exitstatus == pytest.ExitCode.TESTS_FAILED:
            session.exitstatus = NOT_TESTED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.not_ready:
            return
        terminalreporter.write_sep("-", f"preflight: {len(self.not_ready)} DUT(s) not ready, not tested")
        for profile, lines in self.not_ready.items():
            terminalreporter.write_line(f"{profile}: its cases are INCONCLUSIVE (not tested)", yellow=True)
            for line in lines:
                terminalreporter.write_line(f"  {line}")
        if not self.failed:
            terminalreporter.write_line(f"exit status {NOT_TESTED}: not tested (no case FAILed)")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Put the requirement catalogue and the contradictions between its statements on the config as
    plain data, for the report's coverage and contradictions sections."""
    from sockconf.harness.contradictions import load_contradictions, to_data
    from sockconf.harness.requirements import RequirementError, load_catalogue

    try:
        catalogue = load_catalogue()
        contradictions = load_contradictions(catalogue=catalogue)
    except RequirementError as exc:
        raise pytest.UsageError(f"sockconf: {exc}") from None
    record_requirements(session.config, [r.to_data() for r in catalogue.values()])
    record_contradictions(session.config, [to_data(c, catalogue) for c in contradictions.values()])
