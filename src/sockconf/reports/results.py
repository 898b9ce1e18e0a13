"""One result per executed case item, the verdicts, and the run's summary: what every output shows.

The HTML matrix, the JSON file and the diff command all read these records, so a verdict is
decided once, here.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from sockconf.core.trace import NET, RX, TX

PASS = "PASS"
FAIL = "FAIL"
NON_STRICT = "NON-STRICT"
NOT_APPLICABLE = "NOT APPLICABLE"
INCONCLUSIVE = "INCONCLUSIVE"
VERDICTS = (PASS, NON_STRICT, NOT_APPLICABLE, FAIL, INCONCLUSIVE)
# Worst first: a matrix cell that summarises several items shows the worst of them.
SEVERITY = {FAIL: 4, INCONCLUSIVE: 3, NON_STRICT: 2, PASS: 1, NOT_APPLICABLE: 0}
GOOD = {PASS, NON_STRICT, NOT_APPLICABLE}
# A host stack's verdict on a DUT (not a conformance verdict): the driver works, or breaks at a step.
WORKS = "works"
BREAKS = "breaks"


def worst(verdicts: list[str]) -> str:
    return max(verdicts, key=lambda v: SEVERITY.get(v, 5)) if verdicts else NOT_APPLICABLE


@dataclass
class TraceRow:
    t_ms: float
    direction: str
    hex: str
    text: str


@dataclass
class Failure:
    requirement: str
    expected: list[str] = field(default_factory=list)
    actual: list[str] = field(default_factory=list)
    diff: list[str] = field(default_factory=list)
    last_bytes: str = ""
    note: str = ""


@dataclass
class CaseResult:
    nodeid: str
    case_id: str
    requirement: str
    kind: str
    profile: str
    verdict: str
    duration_s: float
    message: str = ""
    phase: str = "call"  # "setup" when the case never ran because its setup failed
    findings: list[str] = field(default_factory=list)
    # The DUT's choices on silent points this case met (core.record.record_assumption).
    assumptions: list[dict[str, Any]] = field(default_factory=list)
    failure: Failure | None = None
    trace: list[TraceRow] = field(default_factory=list)
    verifies: list[str] = field(default_factory=list)  # requirement IDs (the catalogue's) this case verifies
    latency: dict[str, float] | None = None  # the DUT's reply latencies, see reply_latency()
    dut: str = ""  # the DUT's name (the lab file's; without one, the profile's)
    # A host-stack case's walk (core.record.record_host_stack): stack, name, step, steps, broke.
    host_stack: dict[str, Any] | None = None
    # Which statement of an unresolved contradiction the DUT followed (core.record.record_contradiction_seen):
    # contradiction, side ("a", "b" or "neither"), detail.
    contradictions: list[dict[str, str]] = field(default_factory=list)

    @property
    def html_id(self) -> str:
        """The id pytest-html gives this item's row."""
        return self.nodeid if self.phase == "call" else f"{self.nodeid}::{self.phase}"

    @property
    def section(self) -> str:
        """The document section a case belongs to: its ID without the number (XBEE-LISTEN)."""
        head, _, tail = self.case_id.rpartition("-")
        return head if tail.isdigit() and head else self.case_id

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["section"] = self.section
        return data


def reply_latency(rows: list[TraceRow]) -> dict[str, float] | None:
    """How fast the DUT answered: for each run of host writes followed by DUT bytes, the time from the
    last write to the first byte back. Bytes that follow a peer action (a connect, the peer's data)
    are the DUT reporting the network, not answering the host, so a peer row in between starts over.
    ``{"count", "median_ms", "max_ms"}``, or None when the DUT never answered a write."""
    samples: list[float] = []
    sent: float | None = None
    for row in rows:
        if row.direction == TX:
            sent = row.t_ms
        elif row.direction == NET:
            sent = None
        elif row.direction == RX and sent is not None:
            samples.append(max(0.0, row.t_ms - sent))
            sent = None
    if not samples:
        return None
    return {
        "count": len(samples),
        "median_ms": round(statistics.median(samples), 3),
        "max_ms": round(max(samples), 3),
    }


def assumptions(results: list[CaseResult]) -> list[dict[str, Any]]:
    """Every silent point the run met: the DUT's observed choice(s), the cases, whether any was NON-STRICT."""
    points: dict[str, dict[str, Any]] = {}
    for r in results:
        for seen in r.assumptions:
            entry = points.setdefault(
                str(seen["point"]),
                {
                    "point": str(seen["point"]),
                    "title": str(seen.get("title", "")),
                    "default": str(seen.get("default", "")),
                    "choices": {},
                    "cases": [],
                    "non_strict": False,
                },
            )
            choice = str(seen["choice"])
            entry["choices"][choice] = entry["choices"].get(choice, 0) + 1
            if r.case_id not in entry["cases"]:
                entry["cases"].append(r.case_id)
            entry["non_strict"] = entry["non_strict"] or bool(seen.get("non_strict"))
            if seen.get("detail") and "detail" not in entry:
                entry["detail"] = str(seen["detail"])
    return [points[k] for k in sorted(points)]


HOST_STACK = "host-stack"  # the kind of a host-stack case (core.record.HOST_STACK)


def conformance(results: list[CaseResult]) -> list[CaseResult]:
    """The results that judge conformance to the documents (every case but the host-stack ones)."""
    return [r for r in results if r.kind != HOST_STACK]


def totals(results: list[CaseResult]) -> dict[str, int]:
    """Verdict counts of the conformance cases (host-stack cases have their own summary)."""
    counts = Counter(r.verdict for r in conformance(results))
    return {v: counts.get(v, 0) for v in VERDICTS}


def verdict_class_name(verdict: str) -> str:
    """CSS class of a verdict (``v-NOT-APPLICABLE``)."""
    return "v-" + verdict.replace(" ", "-")
