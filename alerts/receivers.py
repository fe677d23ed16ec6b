"""Notifiers a receiver may hold, checked against what Alertmanager 0.25 accepts.

Each notifier in `alerting.yaml` is a one-key mapping, `{KIND: {Alertmanager's own fields}}`,
written out unchanged as an entry of the receiver's `KIND_configs` list, so Alertmanager's
documentation is the field reference. Secrets are accepted only as the `*_file` fields 0.25
reads at send time (checked with amtool 0.25): a secret written inline would end up in the
generated file, in git and in `ps`-visible config dumps, so it is refused with the name of
the `_file` field to use instead. A webhook's `url_file` needs 0.26 and is refused too;
webhook credentials go in `http_config.authorization.credentials_file`, never in the URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from slo.problems import Problem
from slo.yamlsource import Location, Map, plain

_HTTP_CONFIG: dict[str, Any] = {
    "authorization": {"type": None, "credentials_file": None},
    "basic_auth": {"username": None, "password_file": None},
    "tls_config": {"ca_file": None, "cert_file": None, "key_file": None, "server_name": None,
                   "insecure_skip_verify": None, "min_version": None},
    "proxy_url": None, "follow_redirects": None, "enable_http2": None,
}
_INLINE = {"credentials": "credentials_file", "password": "password_file",
           "bearer_token": "authorization.credentials_file",
           "bearer_token_file": "authorization.credentials_file",
           "oauth2": "authorization.credentials_file"}


@dataclass(frozen=True)
class Kind:
    """One notifier kind: its Alertmanager list key, its fields, its refused inline secrets."""

    config_key: str
    fields: Mapping[str, Any]
    inline: Mapping[str, str]
    required: tuple[str, ...] = ()


def _fields(*names: str) -> dict[str, Any]:
    out: dict[str, Any] = dict.fromkeys(names)
    out["send_resolved"] = None
    out["http_config"] = _HTTP_CONFIG
    return out


KINDS: dict[str, Kind] = {
    "webhook": Kind("webhook_configs", _fields("url", "max_alerts"),
                    {"url_file": "url (url_file needs Alertmanager 0.26)"}, ("url",)),
    "pagerduty": Kind("pagerduty_configs",
                      _fields("routing_key_file", "service_key_file", "url", "client",
                              "client_url", "description", "severity", "class", "component",
                              "group", "details"),
                      {"routing_key": "routing_key_file", "service_key": "service_key_file"}),
    "slack": Kind("slack_configs",
                  _fields("api_url_file", "channel", "username", "color", "title",
                          "title_link", "pretext", "text", "icon_emoji", "icon_url"),
                  {"api_url": "api_url_file"}, ("api_url_file",)),
    "email": Kind("email_configs",
                  {k: v for k, v in _fields("to", "from", "smarthost", "hello", "auth_username",
                                            "auth_password_file", "auth_identity",
                                            "require_tls", "headers", "html", "text",
                                            "tls_config").items() if k != "http_config"},
                  {"auth_password": "auth_password_file", "auth_secret": "auth_password_file"},
                  ("to", "from", "smarthost")),
    "opsgenie": Kind("opsgenie_configs",
                     _fields("api_key_file", "api_url", "message", "description", "source",
                             "details", "responders", "tags", "note", "priority", "entity",
                             "actions"),
                     {"api_key": "api_key_file"}, ("api_key_file",)),
}
_SECRET_QUERY_WORDS = ("token", "key", "secret", "password", "sig", "auth")


@dataclass(frozen=True)
class Notifier:
    kind: str
    settings: Mapping[str, Any]


def check_notifier(item: Any, where: Location, problems: list[Problem],
                   path: str) -> Notifier | None:
    """One `{KIND: {fields}}` entry, or None after adding what is wrong with it."""
    if not isinstance(item, Map) or len(item) != 1:
        problems.append(Problem(where, f"{path}: expected a one-key mapping {{KIND: {{...}}}} "
                                f"with KIND one of {', '.join(KINDS)}"))
        return None
    (kind, settings), = item.items()
    if kind not in KINDS:
        problems.append(Problem(item.key_loc(kind), f"{path}: unknown notifier {kind!r} "
                                f"(known: {', '.join(KINDS)})"))
        return None
    spec = KINDS[kind]
    if not isinstance(settings, Map):
        problems.append(Problem(item.value_loc(kind), f"{path}.{kind}: expected a mapping"))
        return None
    before = len(problems)
    _check_fields(settings, spec.fields, spec.inline, problems, f"{path}.{kind}")
    for name in spec.required:
        if name not in settings:
            problems.append(Problem(settings.loc, f"{path}.{kind}: {name} is required"))
    if kind == "webhook" and isinstance(settings.get("url"), str):
        _check_url(settings["url"], settings, problems, f"{path}.{kind}.url")
    return Notifier(kind, plain(settings)) if len(problems) == before else None


def _check_fields(settings: Map, allowed: Mapping[str, Any], inline: Mapping[str, str],
                  problems: list[Problem], path: str) -> None:
    for key, value in settings.items():
        where = settings.key_loc(key)
        use = inline.get(key) or _INLINE.get(key)
        if use is not None:
            problems.append(Problem(where, f"{path}.{key}: secrets are never written inline; "
                                    f"put it in a file readable by Alertmanager and use {use}"))
        elif key not in allowed:
            problems.append(Problem(where, f"{path}.{key}: unknown field (known: "
                                    f"{', '.join(sorted(allowed))})"))
        elif isinstance(allowed[key], Mapping):
            if isinstance(value, Map):
                _check_fields(value, allowed[key], {}, problems, f"{path}.{key}")
            else:
                problems.append(Problem(settings.value_loc(key),
                                        f"{path}.{key}: expected a mapping"))


def _check_url(url: str, settings: Map, problems: list[Problem], path: str) -> None:
    parts = urlsplit(url)
    where = settings.value_loc("url")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        problems.append(Problem(where, f"{path}: expected an http(s) URL"))
    if parts.username or parts.password:
        problems.append(Problem(where, f"{path}: credentials in the URL would be written to "
                                "the config; use http_config.basic_auth.password_file"))
    if any(word in name.lower() for name, _ in parse_qsl(parts.query)
           for word in _SECRET_QUERY_WORDS):
        problems.append(Problem(where, f"{path}: the query looks like it carries a secret; "
                                "use http_config.authorization.credentials_file"))


def receiver(name: str, notifiers: tuple[Notifier, ...]) -> dict[str, Any]:
    """An Alertmanager receiver; without notifiers it delivers nowhere (visible in the UI)."""
    out: dict[str, Any] = {"name": name}
    for notifier in notifiers:
        out.setdefault(KINDS[notifier.kind].config_key, []).append(dict(notifier.settings))
    return out
