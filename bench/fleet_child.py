"""A simulated fleet in its own process, so its CPU never counts as the exporter's.

`python -m bench.fleet_child --servers N --kernels K` serves bench/fleetsim.py's Hub, proxy
API and N user servers (default servers only, no churn: a poll cycle sees a fixed fleet) on
127.0.0.1 ports the kernel picks, prints one JSON line (its URLs, every server's base URL) and
runs until SIGTERM. Tokens go to a file next to the caller's other temp files, never to argv.
`start_fleet` is the caller's side: it starts the child, writes the token files and returns
what the exporter's Hub-mode flags need.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.common import Child, python

MAX_SERVERS = 5000


@dataclass(frozen=True)
class Fleet:
    hub_url: str
    hub_token_file: Path
    proxy_token_file: Path
    hub_token: str
    servers: tuple[str, ...]  # base URLs, each answering the Jupyter Server REST API

    def exporter_flags(self) -> list[str]:
        return ["--hub-url", self.hub_url, "--hub-token-file", str(self.hub_token_file),
                "--proxy-api-url", self.hub_url, "--proxy-token-file",
                str(self.proxy_token_file)]


def start_fleet(started: list[Child], workdir: Path, servers: int, kernels: int) -> Fleet:
    child = Child([python(), "-m", "bench.fleet_child", "--servers", str(servers),
                   "--kernels", str(kernels)], workdir / f"fleet-{servers}.log")
    started.append(child)
    info = json.loads(child.first_line(timeout=120))
    hub_file, proxy_file = workdir / f"hub-token-{servers}", workdir / f"proxy-token-{servers}"
    for path, key in ((hub_file, "hub_token"), (proxy_file, "proxy_token")):
        path.write_text(info[key])
        path.chmod(0o600)
    return Fleet(info["hub_url"], hub_file, proxy_file, info["hub_token"],
                 tuple(info["servers"]))


async def _serve(servers: int, kernels: int) -> None:
    from bench.fleetsim import FleetSim

    sim = FleetSim(servers, kernels, seed=1, ports=4, named_every=0)
    await sim.start()
    urls = [f"http://127.0.0.1:{s.port}{s.url}" for s in sim.servers.values()]
    print(json.dumps({"hub_url": sim.hub_url, "hub_token": sim.hub_token,
                      "proxy_token": sim.proxy_token, "servers": urls}), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await sim.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--servers", type=int, required=True)
    parser.add_argument("--kernels", type=int, default=20)
    args = parser.parse_args()
    if not 0 < args.servers <= MAX_SERVERS:
        print(f"--servers must be 1..{MAX_SERVERS}", file=sys.stderr)
        return 2
    asyncio.run(_serve(args.servers, args.kernels))
    return 0


if __name__ == "__main__":
    sys.exit(main())
