"""Immutable values that flow from the sources to the collectors.

Conventions: every class is a frozen, slotted dataclass; times are Unix seconds (float) as
read from the exporter's clock when the data arrived, except `Kernel.last_activity`, which
is the server's own timestamp. Mappings inside frozen values are never mutated after
construction; updates build new values (see `exporter.state`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Kernel:
    id: str
    name: str
    execution_state: str
    connections: int
    last_activity: float | None


@dataclass(frozen=True, slots=True)
class Session:
    id: str
    path: str
    kernel_id: str | None


@dataclass(frozen=True, slots=True)
class RequestCounts:
    """Cumulative counts read from the server's own `http_request_duration_seconds`."""

    user_restarts: float
    saves_success: float
    saves_failure: float
    auth_failures: float
    deletes: float  # kernel and session DELETEs that succeeded: the no-event fallback


@dataclass(frozen=True, slots=True)
class ServerView:
    """One successful poll of a target's REST API."""

    version: str
    started: float | None
    last_activity: float | None
    kernels: tuple[Kernel, ...]
    sessions: tuple[Session, ...]
    terminals: int | None  # None where the terminals API is absent
    kernelspecs: frozenset[str]
    request_counts: RequestCounts | None  # None where /metrics could not be read


@dataclass(frozen=True, slots=True)
class PollResult:
    """Outcome of one poll cycle: a view, or the reason it failed."""

    at: float
    view: ServerView | None
    error: str | None = None  # one of naming.POLL_ERROR_REASONS
    metrics_error: str | None = None  # reason /metrics could not be read, if it could not
    detail: str = ""  # our own short description of a failure: path and status, no secrets


@dataclass(frozen=True, slots=True)
class KernelEvent:
    """A validated kernel_actions event, stamped with the time it was received."""

    action: str  # start | restart | shutdown | interrupt
    status: str  # success | error
    kernel_id: str
    kernel_name: str
    received: float


@dataclass(frozen=True, slots=True)
class ProbeOutcome:
    result: str  # one of naming.PROBE_RESULTS
    seconds: float
    kernel_name: str
    detail: str = ""


# --- fleet (Hub mode) ---------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class HubServer:
    """One ready server from the Hub's user list. `url` is its path, e.g. `/user/bob/gpu/`."""

    user: str
    server_name: str  # "" for the default server
    url: str

    @property
    def label(self) -> str:
        """DESIGN.md's `server` label: `<user>`, or `<user>/<server_name>` when named."""
        return f"{self.user}/{self.server_name}" if self.server_name else self.user


# --- host: processes, node, GPU (read off the event loop, see exporter.host) ---------------
@dataclass(frozen=True, slots=True)
class ProcInfo:
    """One process as /proc shows it. `kernel_id` comes from its command line only."""

    pid: int
    ppid: int
    cpu_seconds: float  # utime + stime + cutime + cstime: reaped children stay counted
    rss_bytes: int
    kernel_id: str | None


@dataclass(frozen=True, slots=True)
class KernelUsage:
    """One kernel's process tree, summed."""

    kernel_id: str
    rss_bytes: int
    cpu_seconds: float
    pids: frozenset[int]


@dataclass(frozen=True, slots=True)
class Filesystem:
    device: str
    mountpoint: str
    fstype: str
    size_bytes: float
    avail_bytes: float


@dataclass(frozen=True, slots=True)
class NodeStats:
    """What the node collector renders; a part that could not be read is None or empty."""

    cpu_seconds: tuple[tuple[str, float], ...] = ()  # (mode, seconds), summed over CPUs
    memory_total_bytes: float | None = None
    memory_available_bytes: float | None = None
    load: tuple[float, float, float] | None = None
    filesystems: tuple[Filesystem, ...] = ()
    pressure: tuple[tuple[str, str, float], ...] = ()  # (resource, some|full, seconds)
    complete: bool = True  # False when a part that should exist could not be read


@dataclass(frozen=True, slots=True)
class GpuProcess:
    pid: int
    used_bytes: int | None  # None where NVML cannot say (e.g. Windows WDDM)


@dataclass(frozen=True, slots=True)
class GpuDevice:
    """One GPU read. A field NVML does not support on this device is None (series omitted)."""

    index: int
    uuid: str
    name: str = ""
    utilization_ratio: float | None = None
    memory_utilization_ratio: float | None = None
    memory_total_bytes: float | None = None
    memory_used_bytes: float | None = None
    memory_free_bytes: float | None = None
    temperature_celsius: float | None = None
    power_watts: float | None = None
    energy_joules: float | None = None
    ecc_corrected: float | None = None
    ecc_uncorrected: float | None = None
    processes: tuple[GpuProcess, ...] = ()


@dataclass(frozen=True, slots=True)
class XidCount:
    """XID events of one code on one GPU since the exporter started (NVML's event thread).

    `index` and `uuid` are the GPU's as registered for events, so the count outlives a GPU
    that stops answering reads (XID 79, fallen off the bus); `xid` is the label value.
    """

    index: int
    uuid: str
    xid: str
    count: int


@dataclass(frozen=True, slots=True)
class GpuSnapshot:
    """One NVML read. `status` is `ok` or why NVML is unavailable (see exporter.gpu).

    `xid_errors` is carried whatever the status: XID counts come from the event thread,
    not from this read, and a counter must not vanish because one read failed.
    """

    status: str
    devices: tuple[GpuDevice, ...] = ()
    failed_devices: int = 0  # devices that errored (lost, reset required) in this read
    driver_version: str = ""
    xid_errors: tuple[XidCount, ...] = ()


@dataclass(frozen=True, slots=True)
class HostSnapshot:
    """The latest host-side read; each part is None when its collector is off or failed."""

    at: float
    processes: tuple[ProcInfo, ...] | None = None
    kernels: tuple[KernelUsage, ...] | None = None
    node: NodeStats | None = None
    gpu: GpuSnapshot | None = None
