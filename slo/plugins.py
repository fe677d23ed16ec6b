"""Python SLI and SLO plugins, loaded from `-p/--plugins-path` directories.

Sloth's plugins are Go source run by an interpreter; ours are Python files with the same ids
and the same semantics. A plugin file is any `*.py` file under a plugins directory (recursive;
hidden folders and `__pycache__` skipped) that defines one of:

- SLI plugin: `SLI_PLUGIN_ID = "..."` and
  `def sli_plugin(meta: dict[str, str], labels: dict[str, str], options: dict[str, str]) -> str`,
  returning a raw error-ratio query with `{{.window}}`. `meta` holds `service`, `slo` and
  `objective` (Go `%f`, e.g. "99.900000"); `labels` are the spec's group labels.
- SLO plugin: `SLO_PLUGIN_ID = "..."` and `def new_plugin(config) -> plugin`, where the plugin
  has `process(request: SLORequest, rules: SLORules) -> SLORules` and returns the new rules.

A plugin signals bad input by raising `PluginError`; any other exception is reported too, with
the plugin id, never as a traceback.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from slo.model import SLO
from slo.rules import SLORules
from slo.windows import AlertWindows


class PluginError(Exception):
    """Raised by a plugin for input it cannot handle; the message reaches the user."""


@dataclass(frozen=True)
class SLORequest:
    """What an SLO plugin sees: the SLO, its alert windows, and who generates the rules."""

    slo: SLO
    windows: AlertWindows
    version: str
    mode: str
    spec: str


class SLOPlugin(Protocol):
    def process(self, request: SLORequest, rules: SLORules) -> SLORules: ...


SLIPlugin = Callable[[dict[str, str], dict[str, str], dict[str, str]], str]
SLOPluginFactory = Callable[[Any], SLOPlugin]


@dataclass(frozen=True)
class PluginRegistry:
    sli: dict[str, SLIPlugin] = field(default_factory=dict)
    slo: dict[str, SLOPluginFactory] = field(default_factory=dict)


class PluginLoadError(Exception):
    """A plugin file that cannot be loaded; the message names the file."""


def load_plugins(directories: Iterable[Path]) -> PluginRegistry:
    sli: dict[str, SLIPlugin] = {}
    slo: dict[str, SLOPluginFactory] = {}
    for directory in directories:
        if not directory.is_dir():
            raise PluginLoadError(f"{directory}: plugins path is not a directory")
        for path in sorted(_plugin_files(directory)):
            module = _import(path)
            if hasattr(module, "SLI_PLUGIN_ID"):
                _register(sli, module.SLI_PLUGIN_ID, getattr(module, "sli_plugin", None), path)
            if hasattr(module, "SLO_PLUGIN_ID"):
                _register(slo, module.SLO_PLUGIN_ID, getattr(module, "new_plugin", None), path)
    return PluginRegistry(sli=sli, slo=slo)


def _plugin_files(directory: Path) -> Iterable[Path]:
    for path in directory.rglob("*.py"):
        parts = path.relative_to(directory).parts
        if any(p.startswith(".") or p == "__pycache__" for p in parts[:-1]):
            continue
        yield path


def _import(path: Path) -> Any:
    name = f"jupyter_slo_plugin_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise PluginLoadError(f"{path}: cannot load plugin")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise PluginLoadError(f"{path}: plugin failed to load: {exc}") from None
    return module


def _register(table: dict[str, Any], plugin_id: Any, function: Any, path: Path) -> None:
    if not isinstance(plugin_id, str) or not plugin_id:
        raise PluginLoadError(f"{path}: plugin id must be a non-empty string")
    if not callable(function):
        raise PluginLoadError(f"{path}: plugin {plugin_id!r} lacks its entry function")
    if plugin_id in table:
        raise PluginLoadError(f"{path}: plugin id {plugin_id!r} is loaded twice")
    table[plugin_id] = function
