"""What the benchmarks share: percentiles, an RSS sampler, isolated environments, the machine."""

from __future__ import annotations

import os
import platform
import resource
import statistics
import sys
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ASSISTANT = str(Path(PYTHON).with_name("assistant"))
_PAGE = os.sysconf("SC_PAGE_SIZE")


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100) of non-empty ``values``."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = (len(ordered) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(seconds),
        "p50_ms": percentile(seconds, 50) * 1000,
        "p95_ms": percentile(seconds, 95) * 1000,
        "mean_ms": statistics.fmean(seconds) * 1000,
    }


def rss_mb() -> float:
    """Resident set size of this process now, in MiB (Linux /proc)."""
    with open("/proc/self/statm", encoding="ascii") as fh:
        return int(fh.read().split()[1]) * _PAGE / 2**20


def vm_hwm_mb() -> float:
    """Peak RSS of this process image (VmHWM: unlike ru_maxrss, not inherited across exec)."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def maxrss_mb() -> float:
    """Peak RSS of this process so far (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class RssSampler:
    """Samples this process's RSS every ``interval`` seconds on a daemon thread."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._t0 = time.perf_counter()

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.mark()

    def mark(self) -> float:
        value = rss_mb()
        self.samples.append((time.perf_counter() - self._t0, value))
        return value

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.mark()

    def peak(self, until: float | None = None) -> float:
        values = [v for t, v in self.samples if until is None or t <= until]
        return max(values) if values else 0.0

    def elapsed(self) -> float:
        return time.perf_counter() - self._t0


def isolated_env(data_dir: Path, models_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for a child process that never touches the user's config or data."""
    env = {
        **os.environ,
        "ASSISTANT_DATA_DIR": str(data_dir),
        "ASSISTANT_MODEL_CACHE_DIR": str(models_dir),
        "ASSISTANT_CONFIG": str(data_dir.parent / "no-config.toml"),
        "ANONYMIZED_TELEMETRY": "False",
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": str(ROOT),
    }
    env.update(extra)
    return env


def machine() -> dict[str, Any]:
    from importlib.metadata import version

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = {}
    for pkg in ("onnxruntime", "chromadb", "numpy", "bm25s", "tokenizers", "langchain-chroma"):
        try:
            versions[pkg] = version(pkg)
        except Exception:
            versions[pkg] = "?"
    return {
        "cpu_model": cpu,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "memory_gb": round(mem_gb, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_avg_at_start": os.getloadavg(),
    }


def write_section(text: str, results: Path, begin: str, end: str) -> None:
    """Put ``text`` (which starts with ``begin`` and ends with ``end``) in place of the old
    section between those markers in ``results``, or append it when there is none."""
    old = results.read_text(encoding="utf-8") if results.exists() else ""
    if begin in old and end in old:
        head, rest = old.split(begin, 1)
        new = head + text + rest.split(end, 1)[1]
    else:
        new = old.rstrip("\n") + "\n\n" + text + "\n"
    results.write_text(new, encoding="utf-8")
