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
``Parallel`` the project runs on loky). A local dask cluster's workers start it as dask's
preload hook (:func:`dask_setup`, ``LocalCluster(preload=["sim.lifeline"])``), and are
started under :func:`interrupts_deferred`: Ctrl-C reaches the whole process group, and a
dask worker interrupted in its event loop prints a traceback; the driver handles it and
closes the cluster.
"""

from __future__ import annotations

import _thread
import os
import signal
import sys
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


def dask_setup(worker: object) -> None:
    """dask's preload hook, run in each worker process of a local cluster as it starts (in
    its main thread): the lifeline, before any task arrives."""
    watch_parent()
    quiet_unraisable()


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """While this thread starts threads and processes, block SIGINT: they inherit the block
    for life (a signal mask survives fork and exec), so a local dask cluster's workers never
    see Ctrl-C. A Ctrl-C meanwhile (another thread of this process may take it) is held and
    raised here as KeyboardInterrupt once they have started, never halfway through."""
    from multiprocessing import resource_tracker

    # started on first use, it unblocks SIGINT in the thread that starts it: start it first
    resource_tracker.ensure_running()
    held: list[int] = []
    main = threading.current_thread() is threading.main_thread()
    before = signal.signal(signal.SIGINT, lambda *_: held.append(1)) if main else None
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    except Exception:
        if not held:
            raise
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        if main:
            signal.signal(signal.SIGINT, before)
    if held:  # also when the start failed: a process it started may have been interrupted
        raise KeyboardInterrupt


def interrupted(exc: BaseException | None) -> bool:
    """Whether ``exc`` is, or was raised while handling, a Ctrl-C: a library's clean-up
    failing after an interrupt (pyabc closing a database session cut off mid-transaction)
    must still be treated as the interrupt, so that finished work is kept."""
    while exc is not None:
        if isinstance(exc, KeyboardInterrupt):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def quiet_unraisable() -> None:
    """Errors Python can only print ("Exception ignored in ...": raised in a weakref
    callback, a ``__del__`` or while collecting garbage) that are not errors of ours:

    - a Ctrl-C that lands in such a callback is printed with a traceback and then dropped,
      so the command would go on as if never interrupted: it is raised again in the main
      thread instead (``_thread.interrupt_main``, just after), where the command handles it;
    - a dask client collected after its cluster's event loop closed, as after a Ctrl-C,
      tries to close itself ("IOLoop is closed"): nothing is left to close, so say nothing.
    """
    previous = sys.unraisablehook
    if getattr(previous, "campaign_sim", False):
        return

    def hook(unraisable: object) -> None:
        exc = getattr(unraisable, "exc_value", None)
        if isinstance(exc, KeyboardInterrupt):
            # from another thread, a moment later: raised now, it would land in this hook
            # and be dropped again (interrupt_main does nothing once SIGINT is ignored)
            threading.Timer(0.01, _thread.interrupt_main).start()
        elif not (isinstance(exc, RuntimeError) and str(exc) == "IOLoop is closed"):
            previous(unraisable)

    hook.campaign_sim = True  # type: ignore[attr-defined]
    sys.unraisablehook = hook
