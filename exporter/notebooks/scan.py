"""Secret findings in a notebook: the lines to scan (pure) and detect-secrets over them.

What is scanned: the source of code cells, and their text outputs (`stream` text,
`text/plain` of results and displays, error name, value and traceback with ANSI colours
removed). Markdown cells, attachments and binary outputs (images) are not. At most
`MAX_LINES` lines of at most `MAX_LINE` characters each are scanned, so one huge output
cannot stall the scanner.

How: detect-secrets' own line scanner (`scan_line`) with its rule plugins and default
filters, in memory (nothing is written to disk). Left out on purpose: the two high-entropy
plugins, which flag every hash, UUID and base64 blob a notebook prints, and the public-IP
plugin (an address is not a credential). Verification (which would send a candidate secret
to its provider) is switched off. detect-secrets keeps its settings in a process global, so
every scan runs on one dedicated thread (`SCANNER`); callers await it with a time limit.

Only counts by rule leave this module: the secret values and the notebook's path are never
returned, stored or logged.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any

MAX_LINES = 20_000
MAX_LINE = 4096
SCAN_TIMEOUT = 30.0
EXCLUDED_PLUGINS = frozenset({"Base64HighEntropyString", "HexHighEntropyString",
                              "IPPublicDetector"})
VERIFICATION_FILTER = "detect_secrets.filters.common.is_ignored_due_to_verification_policies"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_NOT_WORD = re.compile(r"[^a-z0-9]+")

SCANNER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="secret-scan")


def rule_label(secret_type: str) -> str:
    """detect-secrets' rule name as a label value: `AWS Access Key` -> `aws_access_key`."""
    return _NOT_WORD.sub("_", secret_type.lower()).strip("_") or "unknown"


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return ""


def _output_texts(output: Any) -> Iterator[str]:
    if not isinstance(output, dict):
        return
    kind = output.get("output_type")
    if kind == "stream":
        yield _text(output.get("text"))
    elif kind in ("execute_result", "display_data"):
        data = output.get("data")
        if isinstance(data, dict):
            yield _text(data.get("text/plain"))
    elif kind == "error":
        yield _text(output.get("ename"))
        yield _text(output.get("evalue"))
        traceback = output.get("traceback")
        if isinstance(traceback, list):
            yield _ANSI.sub("", "\n".join(t for t in traceback if isinstance(t, str)))


def _cell_texts(notebook: Any) -> Iterator[str]:
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        return
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        yield _text(cell.get("source"))
        outputs = cell.get("outputs")
        if isinstance(outputs, list):
            for output in outputs:
                yield from _output_texts(output)


def notebook_lines(notebook: Any) -> tuple[str, ...]:
    """The lines of a notebook (nbformat 4 JSON) that are scanned, capped."""
    lines: list[str] = []
    for text in _cell_texts(notebook):
        for line in text.splitlines():
            if len(lines) >= MAX_LINES:
                return tuple(lines)
            if line.strip():
                lines.append(line[:MAX_LINE])
    return tuple(lines)


@cache
def plugin_names() -> tuple[str, ...]:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    return tuple(sorted(cls.__name__ for cls in get_mapping_from_secret_type_to_class().values()
                        if cls.__name__ not in EXCLUDED_PLUGINS))


@cache
def rule_labels() -> tuple[str, ...]:
    """Every `type` label value the scanner can report (series are pre-created at 0)."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    mapping = get_mapping_from_secret_type_to_class()
    return tuple(sorted(rule_label(t) for t, cls in mapping.items()
                        if cls.__name__ not in EXCLUDED_PLUGINS))


def scan_lines(lines: Iterable[str]) -> Mapping[str, int]:
    """Findings by rule label; one per distinct (rule, value) in the notebook. Blocking: run it
    on `SCANNER`."""
    from detect_secrets.core.scan import scan_line
    from detect_secrets.settings import get_settings, transient_settings

    found: set[tuple[str, str]] = set()
    with transient_settings({"plugins_used": [{"name": n} for n in plugin_names()]}):
        get_settings().disable_filters(VERIFICATION_FILTER)
        for line in lines:
            for secret in scan_line(line):
                found.add((rule_label(secret.type), secret.secret_hash))
    return dict(Counter(rule for rule, _ in found))


async def scan_notebook(notebook: Any, timeout: float = SCAN_TIMEOUT) -> Mapping[str, int]:
    """`scan_lines` of the notebook on the scanner thread, within `timeout` seconds."""
    lines = notebook_lines(notebook)
    loop = asyncio.get_running_loop()
    return await asyncio.wait_for(loop.run_in_executor(SCANNER, scan_lines, lines), timeout)
