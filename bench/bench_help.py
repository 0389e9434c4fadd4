"""Wall time of `briefing --help` (target < 0.5 s: heavy imports are lazy). Median of 10 runs."""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def main() -> None:
    exe = shutil.which("briefing") or str(Path(sys.executable).with_name("briefing"))
    times = []
    for _ in range(10):
        t0 = time.perf_counter()
        subprocess.run([exe, "--help"], check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    print(
        f"briefing --help: median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
        f"over {len(times)} runs (target < 500 ms)"
    )


if __name__ == "__main__":
    main()
