"""A run's claim on its working directory, so that a killed run's lock can be cleared safely.

Snakemake locks a working directory by writing the files a run reads and writes into
``.snakemake/locks/`` and removing them when the run ends. A run that is killed (SIGKILL, a
lost SSH session, a power cut) leaves them behind, and the next run refuses to start until
someone runs ``snakemake --unlock``, which is safe only when no other run is using the
directory. The lock files name no process, so Snakemake cannot tell a dead run's lock from a
live one's.

hatmeta adds what the lock lacks. Every run of the workflow, while Snakemake reads the
Snakefile (before it takes its own lock), holds an advisory lock (``flock``) on
:data:`GUARD` for as long as its process lives; the kernel releases it when the process ends,
however it ends. A starting run first asks for that lock exclusively, without waiting:

* granted: no other run of this directory is alive, so any Snakemake lock files are a dead
  run's; they are removed, and the run says so. It then holds the lock shared.
* refused: another run is alive. Nothing is removed; the run holds the lock shared and goes on,
  and Snakemake's own lock decides whether the two runs may overlap (it refuses when they
  would write the same files). If lock files exist, the run says whose they may be.

So a lock is cleared only when no process of any run of the directory holds the guard. What
this does not see: a run of a hatmeta older than this module, or of another Snakefile, in the
same directory (it takes no guard); and on a network file system whose ``flock`` is local to
one host (older NFS), a run on another host.
"""

from __future__ import annotations

import fcntl
from pathlib import Path
from typing import IO, NamedTuple

#: The file every live run of a working directory holds a ``flock`` on.
GUARD = Path(".snakemake") / "hatmeta" / "run.flock"
#: Where Snakemake keeps its lock files (``snakemake.persistence``).
LOCKS = Path(".snakemake") / "locks"


class Claim(NamedTuple):
    """A run's hold on its directory (keep it referenced for the run's life) and what to say."""

    handle: IO
    message: str | None


def claim(directory: str | Path = ".") -> Claim:
    """Hold the guard of ``directory`` for this process's life; remove Snakemake's lock files
    when no other run holds the guard (module docstring).

    Returns
    -------
    Claim
        The open guard (closing it or ending the process releases it) and a message for the
        run's output: lock files removed, or lock files left to a live run; None otherwise.
    """
    directory = Path(directory)
    guard = directory / GUARD
    guard.parent.mkdir(parents=True, exist_ok=True)
    handle = guard.open("a")  # not inherited by the processes the run starts (PEP 446)
    locks = sorted((directory / LOCKS).glob("*.lock"))
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        # Another run is alive. A shared hold waits only while a starting run clears.
        fcntl.flock(handle, fcntl.LOCK_SH)
        message = None
        if locks:
            message = (
                f"another run of this directory is running (it holds {GUARD}): its lock "
                f"files in {LOCKS}/ are left alone"
            )
        return Claim(handle, message)
    removed = sorted((directory / LOCKS).glob("*.lock"))  # listed again, now alone
    for lock in removed:
        lock.unlink(missing_ok=True)
    fcntl.flock(handle, fcntl.LOCK_SH)  # other runs may start beside this one
    message = None
    if removed:
        names = ", ".join(lock.name for lock in removed)
        message = (
            f"removed Snakemake's lock left by a run of this directory that no longer exists "
            f"({LOCKS}/: {names}; no process holds {GUARD}); files it left unfinished are "
            "made again (rerun-incomplete, profiles/default)"
        )
    return Claim(handle, message)
