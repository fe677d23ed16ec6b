"""Alert window catalogues: which windows and budget shares each SLO period alerts on.

Windows are data, not code. A catalogue maps an SLO period to four alert tiers (page quick,
page slow, ticket quick, ticket slow), each with a budget share and a short and long window, in
Sloth's `AlertWindows` file format. 30d and 28d are built in (the SRE Workbook's table: 2 %,
5 %, 10 %, 10 % over 1h, 6h, 1d, 3d); `--slo-period-windows-path` replaces the whole catalogue,
as in Sloth. Burn factors are derived, never written: share x period / long window.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from slo import duration
from slo.problems import Problem
from slo.yamlsource import Location, Map, SpecSyntaxError, parse_document, split_documents

BUILTIN_DIR = Path(__file__).with_name("windows")


@dataclass(frozen=True)
class Window:
    """One alert tier: spend `budget_percent` of the period's budget within `long_ms`."""

    budget_percent: float
    budget_percent_exact: Decimal
    short_ms: int
    long_ms: int

    def factor(self, period_ms: int) -> float:
        """The burn factor as Sloth computes it in float64 (kept for byte compatibility)."""
        return self.budget_percent * duration.hours(period_ms) / 100 / duration.hours(self.long_ms)

    def exact_factor(self, period_ms: int) -> Decimal:
        """The same factor in exact decimal arithmetic, for default-mode output."""
        return (self.budget_percent_exact * period_ms / 100 / self.long_ms).normalize()


@dataclass(frozen=True)
class AlertWindows:
    period_ms: int
    page_quick: Window
    page_slow: Window
    ticket_quick: Window
    ticket_slow: Window
    source: str = "built-in"

    def tiers(self) -> tuple[Window, Window, Window, Window]:
        return (self.page_quick, self.page_slow, self.ticket_quick, self.ticket_slow)

    def sli_windows(self) -> list[int]:
        """Every alert window, sorted and unique, then the period itself (Sloth's order)."""
        windows = sorted({w for t in self.tiers() for w in (t.short_ms, t.long_ms)})
        return [*windows, self.period_ms]


class WindowsError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def load_catalogue(directory: Path | None = None) -> dict[int, AlertWindows]:
    """The built-in catalogue, or the one in `directory` (recursive `*.yaml|*.yml`)."""
    root = directory or BUILTIN_DIR
    if not root.is_dir():
        raise WindowsError([Problem(Location(str(root)), "windows path is not a directory")])
    problems: list[Problem] = []
    catalogue: dict[int, AlertWindows] = {}
    texts: dict[int, str] = {}
    files = sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    for path in files:
        text = path.read_text(encoding="utf-8")
        windows = _load_file(path, text, problems)
        if windows is None:
            continue
        if windows.period_ms in catalogue:
            if texts[windows.period_ms] != text:
                problems.append(Problem(Location(str(path)), "SLO period "
                                        f"{duration.format_ms(windows.period_ms)} is already "
                                        f"defined in {catalogue[windows.period_ms].source}"))
            continue
        catalogue[windows.period_ms] = windows
        texts[windows.period_ms] = text
    if problems:
        raise WindowsError(problems)
    return catalogue


def _load_file(path: Path, text: str, problems: list[Problem]) -> AlertWindows | None:
    documents = split_documents(text, str(path))
    if len(documents) != 1:
        problems.append(Problem(Location(str(path)), "expected exactly one AlertWindows document"))
        return None
    try:
        root = parse_document(documents[0])
    except SpecSyntaxError as exc:
        problems.append(Problem(exc.location, exc.message))
        return None
    if not isinstance(root, Map):
        problems.append(Problem(documents[0].start, "expected a mapping"))
        return None
    before = len(problems)
    if root.get("apiVersion") != "sloth.slok.dev/v1":
        problems.append(Problem(root.value_loc("apiVersion"),
                                'apiVersion must be "sloth.slok.dev/v1"'))
    if root.get("kind") != "AlertWindows":
        problems.append(Problem(root.value_loc("kind"), 'kind must be "AlertWindows"'))
    spec = root.get("spec")
    if not isinstance(spec, Map):
        problems.append(Problem(root.value_loc("spec"), "spec: expected a mapping"))
        return None
    period = _duration(spec, "sloPeriod", "spec.sloPeriod", problems)
    tiers = [_window(spec, severity, speed, problems)
             for severity in ("page", "ticket") for speed in ("quick", "slow")]
    if len(problems) > before or period is None or None in tiers:
        return None
    return AlertWindows(period, *tiers, source=str(path))  # type: ignore[arg-type]


def _window(spec: Map, severity: str, speed: str, problems: list[Problem]) -> Window | None:
    name = f"spec.{severity}.{speed}"
    block = spec.get(severity)
    item = block.get(speed) if isinstance(block, Map) else None
    if not isinstance(item, Map):
        where = block.value_loc(speed) if isinstance(block, Map) else spec.value_loc(severity)
        problems.append(Problem(where, f"{name}: expected a mapping with errorBudgetPercent, "
                                       "shortWindow and longWindow"))
        return None
    share = item.get("errorBudgetPercent")
    if isinstance(share, bool) or not isinstance(share, int | float) or share <= 0:
        problems.append(Problem(item.value_loc("errorBudgetPercent"),
                                f"{name}.errorBudgetPercent: must be a number above 0"))
        share = None
    short = _duration(item, "shortWindow", f"{name}.shortWindow", problems)
    long = _duration(item, "longWindow", f"{name}.longWindow", problems)
    if share is None or short is None or long is None:
        return None
    exact = Decimal(item.raw.get("errorBudgetPercent", repr(share)).replace("_", ""))
    return Window(float(share), exact, short, long)


def _duration(item: Map, key: str, name: str, problems: list[Problem]) -> int | None:
    value = item.get(key)
    try:
        ms = duration.parse(value) if isinstance(value, str) else None
    except duration.DurationError as exc:
        problems.append(Problem(item.value_loc(key), f"{name}: {exc}"))
        return None
    if not ms:
        problems.append(Problem(item.value_loc(key), f"{name}: a non-zero duration is required"))
        return None
    return ms
