"""The exporter's HTTP face: `/metrics`, `/healthz` and a small `/` page.

`/metrics` renders the engine's current view (never awaiting a Jupyter Server) into a fresh
registry per scrape, and picks the exposition format from the `Accept` header with
prometheus_client's own negotiation, so OpenMetrics is served when Prometheus asks for it.
Basic auth, when configured, guards every path except `/healthz`, which only says the process
is alive and reveals nothing.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

from exporter.collectors import core
from exporter.collectors.base import ExporterView
from exporter.engine import Engine
from exporter.webconfig import BasicAuth

ENGINE = web.AppKey("engine", Engine)
AUTH = web.AppKey("auth", BasicAuth)
OPEN_PATHS = frozenset({"/healthz"})


class _ViewCollector:
    def __init__(self, view: ExporterView, enabled: frozenset[str]) -> None:
        self._families = core.collect(view, enabled)

    def collect(self):
        return iter(self._families)


def render(view: ExporterView, enabled: frozenset[str], accept: str | None) -> tuple[bytes, str]:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_ViewCollector(view, enabled))
    encoder, content_type = choose_encoder(accept or "")
    return encoder(registry), content_type


@dataclass
class RenderCache:
    """The last rendered exposition, reused while nothing behind it changed.

    Target states are frozen snapshots replaced on every poll, so "the same objects within the
    same second" (idleness is judged against the clock, to the second) means the same output.
    Rendering 10k series costs tens of milliseconds of pure Python; a scrape storm or several
    Prometheus replicas then cost one render per poll instead of one per scrape.
    """

    snapshots: tuple[object, ...] = ()
    scalars: tuple[object, ...] = ()
    content_type: str = ""
    body: bytes = b""

    @staticmethod
    def _key(view: ExporterView) -> tuple[tuple[object, ...], tuple[object, ...]]:
        return ((*view.targets, view.host),
                (int(view.now), view.hub_up, view.poll_cycle_seconds))

    def lookup(self, view: ExporterView, content_type: str) -> bytes | None:
        snapshots, scalars = self._key(view)
        if (scalars == self.scalars and content_type == self.content_type
                and len(snapshots) == len(self.snapshots)
                and all(a is b for a, b in zip(snapshots, self.snapshots, strict=True))):
            return self.body
        return None

    def store(self, view: ExporterView, content_type: str, body: bytes) -> None:
        self.snapshots, self.scalars = self._key(view)
        self.content_type, self.body = content_type, body


CACHE = web.AppKey("render_cache", RenderCache)


async def metrics(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    view = engine.view()
    accept = request.headers.get("Accept")
    cache = request.app[CACHE]
    _, wanted_type = choose_encoder(accept or "")
    body = cache.lookup(view, wanted_type)
    content_type = wanted_type
    if body is None:
        body, content_type = render(view, engine.config.collectors, accept)
        cache.store(view, content_type, body)
    response = web.Response(body=body)
    response.headers["Content-Type"] = content_type
    return response


async def healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok\n")


async def index(request: web.Request) -> web.Response:
    view = request.app[ENGINE].view()
    rows = []
    for target in view.targets:
        state = "up" if target.up else f"down ({target.last_error or 'not polled yet'})"
        version = target.view.version if target.view else "?"
        stream = "connected" if target.stream_up else "not connected"
        rows.append(f"<tr><td>{html.escape(target.name)}</td><td>{html.escape(state)}</td>"
                    f"<td>{html.escape(version)}</td><td>{stream}</td></tr>")
    page = (
        "<!doctype html><html><head><title>jupyter-slo exporter</title></head><body>"
        f"<h1>jupyter-slo exporter {html.escape(view.version)}</h1>"
        '<p><a href="metrics">Metrics</a> · <a href="healthz">Health</a></p>'
        "<table><tr><th>server</th><th>state</th><th>version</th><th>event stream</th></tr>"
        + "".join(rows) + "</table></body></html>")
    return web.Response(text=page, content_type="text/html")


@web.middleware
async def basic_auth(request: web.Request,
                     handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                     ) -> web.StreamResponse:
    auth = request.app.get(AUTH)
    if auth is None or request.path in OPEN_PATHS:
        return await handler(request)
    if await auth.check(request.headers.get("Authorization")):
        return await handler(request)
    return web.Response(status=401, text="Unauthorized\n",
                        headers={"WWW-Authenticate": 'Basic realm="jupyter-slo"'})


def build_app(engine: Engine, auth: BasicAuth | None = None) -> web.Application:
    app = web.Application(middlewares=[basic_auth])
    app[ENGINE] = engine
    app[CACHE] = RenderCache()
    if auth is not None:
        app[AUTH] = auth
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/", index)
    return app
