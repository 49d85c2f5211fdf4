"""Result folders: fresh directories, atomic writes, provenance, completion markers.

Nothing already written is overwritten: each command gets a new folder, and each file is
written to a temporary name and renamed into place, so an interrupted write never leaves
a half file behind.

A folder is complete or visibly incomplete: :func:`open_folder` (used by
:func:`prepare_out` and the sweep's folder) writes an ``INCOMPLETE`` file first, and the
command line removes it with :func:`finish_folders` only when the command finished; every
reader of a result folder checks :func:`is_complete`. Left-over temporary files of a
killed write are removed when a folder is opened again.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd  # only annotations: the CLI's main imports this module


PACKAGES = ("campaign-sim", "mesa", "numpy", "pandas", "scipy", "pyarrow", "SALib", "joblib", "pydantic")


def new_run_dir(base: str | Path = "results", name: str = "run") -> Path:
    """A new, empty folder ``base/<slug of name>-<UTC timestamp>[-k]`` (never an existing
    one; the slug keeps a name such as ``../x`` from leaving ``base``)."""
    from sim.inputs import slug

    name = slug(name)
    base = Path(base)
    base.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    for k in range(1000):
        path = base / (f"{name}-{stamp}" + (f"-{k}" if k else ""))
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise RuntimeError(f"could not create a fresh folder under {base}")


def prepare_out(out: str | Path | None, name: str, base: str | Path = "results") -> Path:
    """``--out DIR`` must be new or empty (earlier results are never overwritten). The
    folder is marked incomplete until :func:`finish_folders`."""
    if out is None:
        return open_folder(new_run_dir(base, name))
    path = Path(out)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        from sim.loading import SpecError

        what = "is a file" if not path.is_dir() else "already holds files"
        raise SpecError("--out", [f"{path} {what}; choose a new or empty folder"])
    path.mkdir(parents=True, exist_ok=True)
    return open_folder(path)


MARKER = "INCOMPLETE"
#: folders opened by this process and not yet finished (the CLI names them on errors)
OPEN: list[Path] = []


def open_folder(path: Path) -> Path:
    """Mark ``path`` incomplete and clear temporary files a killed write left behind."""
    path.mkdir(parents=True, exist_ok=True)
    for stray in path.glob(".*.tmp"):
        stray.unlink(missing_ok=True)
    marker = path / MARKER
    if not marker.exists():
        marker.write_text(
            "This folder is incomplete: the command that writes it has not finished "
            "(still running, interrupted or failed). Its files may not belong together.\n",
            encoding="utf-8",
        )
    if path not in OPEN:
        OPEN.append(path)
    return path


def is_complete(path: str | Path) -> bool:
    """Whether a result folder was finished by its command (readers check this)."""
    return Path(path).is_dir() and not (Path(path) / MARKER).exists()


def release(path: Path) -> None:
    """Remove a folder :func:`prepare_out` made that its command will not use after all
    (it holds only the marker)."""
    (path / MARKER).unlink(missing_ok=True)
    path.rmdir()
    if path in OPEN:
        OPEN.remove(path)


def finish(path: Path) -> None:
    """Remove ``path``'s marker: its command wrote every output. Commands that lock their
    folder call this before unlocking, so a second process that takes the lock next never
    has its own marker removed by the first."""
    (path / MARKER).unlink(missing_ok=True)
    if path in OPEN:
        OPEN.remove(path)


def finish_folders() -> list[Path]:
    """Remove the markers of every folder this process opened (its command finished)."""
    done = list(OPEN)
    for path in done:
        (path / MARKER).unlink(missing_ok=True)
    OPEN.clear()
    return done


def git_revision() -> str:
    here = Path(__file__).resolve().parent
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
        return rev + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def provenance() -> dict[str, Any]:
    versions = {}
    for pkg in PACKAGES:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    return {
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "git_revision": git_revision(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
    }


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Write via ``write(tmp)`` then rename over ``path`` in one step. The file gets the
    permissions of any file the user creates (0666 less the umask, e.g. 0644), not the 0600 of
    a temporary file, so the group can read results."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it: put it straight back
    os.umask(mask)
    return mask


def write_json(path: Path, data: Any) -> None:
    atomic_write(path, lambda p: p.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8"))


def write_table(folder: Path, name: str, df: pd.DataFrame, csv: bool = True) -> None:
    """``name.parquet`` (and ``name.csv``) written atomically."""
    atomic_write(folder / f"{name}.parquet", lambda p: df.to_parquet(p, index=False))
    if csv:
        atomic_write(folder / f"{name}.csv", lambda p: df.to_csv(p, index=False))
