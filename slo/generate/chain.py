"""Running an SLO's plugin chain and turning its result into rule groups.

Sloth's ordering: group and SLO plugins are stable-sorted by priority; those below 0 run before
the core plugins (validate, SLI rules, metadata rules, alert rules, all at priority 0), the rest
after. `overridePrevious` on the group drops the core plugins; on an SLO it also drops the
group's plugins. Empty groups are left out of the output.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from slo import naming
from slo.generate import layout
from slo.model import SLO, Alert, Alerting, PluginRef, SLOGroup, SpecKind
from slo.plugins import PluginError, PluginRegistry, SLOPlugin, SLORequest
from slo.problems import Problem
from slo.rules import RuleGroup, SLORules
from slo.windows import AlertWindows

CorePlugins = Sequence[SLOPlugin]

_MODES = {
    SpecKind.NATIVE_V1: "cli-gen-native",
    SpecKind.SLOTH_V1: "cli-gen-prom",
    SpecKind.SLOTH_K8S: "cli-gen-k8s",
    SpecKind.OPENSLO_V1ALPHA: "cli-gen-openslo",
    SpecKind.OPENSLO_V1: "cli-gen-openslo",
}


@dataclass(frozen=True)
class Options:
    version: str
    catalogue: dict[int, AlertWindows]
    default_period_ms: int
    plugins: PluginRegistry = field(default_factory=PluginRegistry)
    extra_labels: dict[str, str] = field(default_factory=dict)
    disable_alerts: bool = False
    disable_recordings: bool = False


class GenerationError(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def prepare(slo: SLO, options: Options) -> SLO:
    """Apply the command line's extra labels and `--disable-alerts` to one SLO."""
    alerting = slo.alerting
    if options.disable_alerts:
        alerting = Alerting(alerting.name, Alert(True, alerting.page.labels,
                                                 alerting.page.annotations),
                            Alert(True, alerting.ticket.labels, alerting.ticket.annotations))
    return replace(slo, labels={**slo.labels, **options.extra_labels}, alerting=alerting)


def generate_group(group: SLOGroup, options: Options,
                   core: Callable[[], CorePlugins]) -> list[RuleGroup]:
    out: list[RuleGroup] = []
    for slo in group.slos:
        rules = run_chain(group, prepare(slo, options), options, core())
        out += slo_groups(slo.id, rules, options.disable_recordings)
    return out


def run_chain(group: SLOGroup, slo: SLO, options: Options, core: CorePlugins) -> SLORules:
    period = slo.period_ms or options.default_period_ms
    request = SLORequest(slo=slo, windows=options.catalogue[period], version=options.version,
                         mode=_MODES[group.kind], spec=group.kind.value)
    rules = SLORules()
    for plugin, ref in _ordered(group, slo, options.plugins, core):
        try:
            rules = plugin.process(request, rules)
        except PluginError as exc:
            raise GenerationError(_plugin_problem(group, slo, ref, str(exc))) from None
        except Exception as exc:  # a user plugin's bug must not become our traceback
            if ref is None:
                raise
            raise GenerationError(_plugin_problem(group, slo, ref, f"failed: {exc!r}")) from None
    return rules


def _plugin_problem(group: SLOGroup, slo: SLO, ref: PluginRef | None, message: str) -> Problem:
    where = (ref.location if ref else None) or slo.loc() or group.location
    name = ref.id if ref else "core"
    return Problem(where, f"SLO {slo.id!r}: plugin {name!r} {message}")


def _ordered(group: SLOGroup, slo: SLO, registry: PluginRegistry,
             core: CorePlugins) -> list[tuple[SLOPlugin, PluginRef | None]]:
    refs: list[PluginRef] = []
    use_core = True
    if not slo.plugins.override_previous:
        refs += group.plugins.chain
        use_core = not group.plugins.override_previous
    else:
        use_core = False
    refs += slo.plugins.chain
    ordered = sorted(refs, key=lambda r: r.priority)
    before = [r for r in ordered if r.priority < 0]
    after = [r for r in ordered if r.priority >= 0]
    chain: list[tuple[SLOPlugin, PluginRef | None]] = [(_instance(r, registry), r)
                                                        for r in before]
    if use_core:
        chain += [(p, None) for p in core]
    chain += [(_instance(r, registry), r) for r in after]
    return chain


class _Noop:
    def process(self, request: SLORequest, rules: SLORules) -> SLORules:
        return rules


def _instance(ref: PluginRef, registry: PluginRegistry) -> SLOPlugin:
    factory = registry.slo.get(ref.id)
    if factory is None:
        return _Noop()  # core ids named in a chain; validation reports unknown ones
    try:
        return factory(ref.config)
    except PluginError as exc:
        raise GenerationError(Problem(ref.location, f"plugin {ref.id!r}: {exc}")) from None


def slo_groups(slo_id: str, rules: SLORules, disable_recordings: bool) -> list[RuleGroup]:
    parts = [] if disable_recordings else [
        RuleGroup(naming.sli_group(slo_id), rules.sli, rules.sli_interval),
        RuleGroup(naming.metadata_group(slo_id), rules.metadata, rules.metadata_interval)]
    parts.append(RuleGroup(naming.alerts_group(slo_id), rules.alerts, rules.alerts_interval))
    # Extra groups (the tiles, the slow windows) are recordings too, unless a plugin put
    # alerts in them: `disable_recordings` leaves out those that hold nothing else.
    extra = [g for g in rules.extra
             if not (disable_recordings and all(r.record for r in g.rules))]
    groups = (layout.default_layout(slo_id, parts, extra) if rules.one_group
              else [*parts, *extra])
    return [g for g in groups if g.rules]
