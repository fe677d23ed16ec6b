"""The `{{.window}}` placeholder in SLI queries.

Sloth renders queries with Go's text/template and `missingkey=error`, so `{{.window}}` (with
any spacing) is the only action a query may hold; anything else in `{{ }}` is an error there
and is one here. Rendering is plain substitution: no other template feature exists to honour.
"""

from __future__ import annotations

import re

_WINDOW_RE = re.compile(r"\{\{ *\.window *\}\}")
_ACTION_RE = re.compile(r"\{\{.*?\}\}", re.DOTALL)


class TemplateError(ValueError):
    pass


def has_window(query: str) -> bool:
    return _WINDOW_RE.search(query) is not None


def render(query: str, window: str) -> str:
    """Substitute the window, refusing any other template action as Go's template would."""
    rendered = _WINDOW_RE.sub(lambda _: window, query)
    other = _ACTION_RE.search(rendered)
    if other:
        raise TemplateError(f"unsupported template action {other.group(0)!r} "
                            "(only {{.window}} is available)")
    if "{{" in rendered:
        raise TemplateError("unclosed template action")
    return rendered
