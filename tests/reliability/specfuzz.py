"""Running `jupyter-slo rules` in-process on a mutated spec, and judging the outcome against
the CLI's contract (slo/cli.py): exit 0 and the output written, or exit 1 with every stderr
line a located `FILE:LINE:COL: message` in the spec file and the output left untouched;
never a traceback. Mutations are seeded by hypothesis strategies in test_spec_fuzz.py.

`KNOWN_BUGS` names failures already reported, each with its strict-xfail test in
test_spec_fuzz.py: the fuzzer counts a hit on one instead of failing, so it keeps hunting
for new ones. Remove an entry when its bug is fixed (its xfail test then XPASSes and fails).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import traceback
from dataclasses import dataclass
from pathlib import Path

from slo.cli import main as cli_main

SENTINEL = "# earlier output: must survive a failed run\n"

KNOWN_BUGS: dict[str, str] = {}  # all found so far are fixed; their tests now assert it
# (exception type, innermost frame under the repository as "path:function") -> bug
_SIGNATURES = {
    ("InvalidOperation", "slo/validation.py:validate_slo"): "nan-objective",
    ("AssertionError", "slo/generate/default.py:objective"): "null-objective",
    ("AssertionError", "slo/generate/default.py:process"): "inline-sli-no-spec",
}
_REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Outcome:
    code: int | None
    stderr: str
    error: str | None  # a traceback, if one escaped
    kind: str  # "valid", "located", a KNOWN_BUGS key, or "broken: ..." (a new bug)


def _innermost(exc: BaseException) -> str:
    """`path:function` of the deepest traceback frame inside the repository's code."""
    where = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        path = Path(frame.filename).resolve()
        if _REPO in path.parents and "tests" not in path.relative_to(_REPO).parts[:1]:
            where = f"{path.relative_to(_REPO)}:{frame.name}"
    return where


def _known(exc: BaseException | None, unlocated: list[str]) -> str | None:
    """The KNOWN_BUGS key a failure matches (None: new, or a known one that was fixed)."""
    key = _signature(exc, unlocated)
    return key if key in KNOWN_BUGS else None


def _signature(exc: BaseException | None, unlocated: list[str]) -> str | None:
    if exc is not None:
        if isinstance(exc, ValueError) and "integer string conversion" in str(exc):
            return "huge-int"
        return _SIGNATURES.get((type(exc).__name__, _innermost(exc)))
    elif unlocated and all(line.startswith('  in "<unicode string>", position ')
                           for line in unlocated):
        return "reader-error-lines"
    return None


def run_rules(spec: Path, out: Path) -> Outcome:
    """One `jupyter-slo rules -i SPEC -o OUT`, judged. `out` must hold `SENTINEL` before."""
    before = out.stat()
    siblings = sorted(p.name for p in out.parent.iterdir())
    stderr, stdout = io.StringIO(), io.StringIO()
    code, exc = None, None
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(stdout):
        try:
            code = cli_main(["rules", "-i", str(spec), "-o", str(out)])
        except SystemExit as stop:  # argparse; never expected here
            code = stop.code if isinstance(stop.code, int) else 2
        except Exception as raised:  # a traceback would have reached the user
            exc = raised
    text = stderr.getvalue()
    error = "".join(traceback.format_exception(exc)) if exc is not None else None
    lines = [line for line in text.splitlines() if line.strip()]
    located = re.compile(rf"^{re.escape(str(spec))}:(\d+):(\d+): \S")
    n_lines = spec.read_bytes().count(b"\n") + 1
    unlocated = [line for line in lines if not (m := located.match(line))
                 or not 1 <= int(m.group(1)) <= n_lines + 1 or int(m.group(2)) < 1]
    untouched = (out.read_text() == SENTINEL and out.stat().st_mtime_ns == before.st_mtime_ns
                 and out.stat().st_ino == before.st_ino
                 and sorted(p.name for p in out.parent.iterdir()) == siblings)
    known = _known(exc, unlocated)
    if exc is None and code == 0:
        kind = "valid" if out.read_text() != SENTINEL else "broken: exit 0, nothing written"
    elif known is not None:
        kind = known if untouched else f"broken: {known} and the output was touched"
    elif exc is not None:
        kind = f"broken: traceback\n{error}"
    elif code != 1:
        kind = f"broken: exit {code}"
    elif not lines:
        kind = "broken: exit 1 with nothing on stderr"
    elif unlocated:
        kind = f"broken: unlocated lines {unlocated[:3]}"
    elif not untouched:
        kind = "broken: output touched on failure"
    else:
        kind = "located"
    return Outcome(code, text, error, kind)


def reset(out: Path) -> None:
    out.write_text(SENTINEL)
    os.utime(out, ns=(1_000_000_000, 1_000_000_000))
