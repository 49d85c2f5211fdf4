"""Worker processes exit when the process that drives them dies.

joblib's loky workers outlive a driver killed with ``kill -9`` (nothing tells them), and
go on computing batches nobody will collect. The driver calls :func:`mark_driver` before
starting workers; each worker calls :func:`watch_parent` at the start of a task, which
(once per process, and only in a worker) starts a daemon thread that checks every half
second whether the worker's parent is still the process that started it, and exits the
worker at once when it is not (the worker was re-parented: its parent died).
"""

from __future__ import annotations

import os
import threading
import time

ENV = "CAMPAIGN_SIM_DRIVER_PID"
POLL_SECONDS = 0.5
_watching = False


def mark_driver() -> None:
    """Record this process as the driver; workers it starts inherit the mark."""
    os.environ[ENV] = str(os.getpid())


def watch_parent() -> None:
    """In a worker (not the driver itself): exit as soon as the parent process is gone."""
    global _watching
    driver = os.environ.get(ENV)
    if _watching or driver is None or driver == str(os.getpid()):
        return
    _watching = True
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(POLL_SECONDS)
            if os.getppid() != parent:
                os._exit(70)  # EX_SOFTWARE: nothing to flush, the driver is gone

    threading.Thread(target=watch, name="campaign-sim-lifeline", daemon=True).start()
