"""Worker processes exit when the process that drives them dies.

joblib's loky workers outlive a driver killed with ``kill -9`` (nothing tells them), and
go on computing batches nobody will collect. The driver calls :func:`mark_driver` before
starting workers; each worker calls :func:`watch_parent` at the start of a task, which
(once per process, and only in a worker) starts a daemon thread that checks every half
second whether the driver (its pid is in the environment) still runs and the worker's
parent is still the process that started it, and exits the worker at once when not. The
driver's pid, not only the parent's, is watched: a worker still starting up when the driver
died has already been re-parented, and dask workers' parent is a nanny.

An idle worker never starts a task, so new loky workers also start the watch as their
initializer: :func:`lifeline` is the joblib configuration that does it (used around every
``Parallel`` the project runs on loky).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

ENV = "CAMPAIGN_SIM_DRIVER_PID"
POLL_SECONDS = 0.5
_watching = False


def mark_driver() -> None:
    """Record this process as the driver; workers it starts inherit the mark."""
    os.environ[ENV] = str(os.getpid())


def watch_parent() -> None:
    """In a worker (not the driver itself): exit as soon as the driver is gone, or the
    worker's own parent (a dask nanny, say) is."""
    global _watching
    driver = os.environ.get(ENV)
    if _watching or driver is None or driver == str(os.getpid()):
        return
    _watching = True
    parent = os.getppid()
    # Ctrl-C reaches the whole process group: the driver handles it (and stops the
    # workers); a worker interrupted mid-task would only print tracebacks
    if threading.current_thread() is threading.main_thread():  # dask runs tasks in threads
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while True:
            if os.getppid() != parent or not _alive(int(driver)):
                os._exit(70)  # EX_SOFTWARE: nothing to flush, the driver is gone
            time.sleep(POLL_SECONDS)

    threading.Thread(target=watch, name="campaign-sim-lifeline", daemon=True).start()


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, killed but not yet reaped, counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True  # no /proc: trust kill(0)


@contextmanager
def lifeline(backend: str | None = None) -> Iterator[None]:
    """Mark this process the driver and, when joblib will use loky, make new workers start
    :func:`watch_parent` (other backends are left as configured)."""
    from joblib import parallel_config
    from joblib.parallel import get_active_backend

    mark_driver()
    active, _ = get_active_backend()
    if backend in (None, "loky") and type(active).__name__ == "LokyBackend":
        with parallel_config(backend="loky", initializer=watch_parent):
            yield
    else:
        yield
