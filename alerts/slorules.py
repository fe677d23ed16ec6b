"""Default-mode SLO rule files whose burn-rate alerts carry `runbook_url` and `dashboard_url`.

The SLO engine's core plugins make the rules; `LinkAnnotations` runs after them as one more
core plugin, so user plugins (priority >= 0) still see, and may change, the annotated alerts.
Used by `demo` and the end-to-end tests; `generate` can call `core_with_links` the same way.
"""

from __future__ import annotations

from collections.abc import Callable

from alerts.config import Links
from alerts.links import LinkAnnotations
from slo.generate import default as default_mode
from slo.generate.chain import CorePlugins, Options
from slo.loaders.discover import SpecFile


def link_plugins(links: Links) -> Callable[[], CorePlugins]:
    """The plugins to run after the default mode's core ones (`render_file`'s extra_core)."""
    return lambda: [LinkAnnotations(links)]


def core_with_links(links: Links) -> Callable[[], CorePlugins]:
    extra = link_plugins(links)
    return lambda: [*default_mode.core_plugins(), *extra()]


def render_slo_rules(spec: SpecFile, options: Options, links: Links) -> str:
    """One Prometheus rule file for one spec file (what `generate` writes, plus the links)."""
    return default_mode.render_file(spec, options, "prometheus", core_with_links(links))
