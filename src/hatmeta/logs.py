"""Send a workflow step's messages to its Snakemake log file, and name what failed."""

from __future__ import annotations

import logging
import os
import sys
import time
import traceback
from contextlib import contextmanager
from pathlib import Path


def process_age() -> float | None:
    """Seconds since this process started (Linux), None elsewhere: what a job spent before its
    own code ran, i.e. interpreter start-up and imports."""
    try:
        with open("/proc/self/stat") as handle:
            started = int(handle.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as handle:
            uptime = float(handle.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return uptime - started / os.sysconf("SC_CLK_TCK")


@contextmanager
def logged(log_path: str | Path, step: str):
    """Route warnings, logging and uncaught errors of ``step`` to ``log_path``.

    The error is re-raised so Snakemake marks the job failed and removes its partial outputs;
    the log keeps the full message and traceback.
    """
    log_path = Path(log_path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as handle:
        saved_stderr = sys.stderr
        sys.stderr = handle
        logging.basicConfig(
            stream=handle,
            level=logging.INFO,
            format="%(asctime)s %(name)s %(levelname)s: %(message)s",
            force=True,
        )
        logging.captureWarnings(True)
        log = logging.getLogger(f"hatmeta.{step}")
        age, start = process_age(), time.perf_counter()
        if age is not None:
            log.info("start-up and imports %.1f s", age)
        try:
            yield log
            log.info("done in %.1f s", time.perf_counter() - start)
        except Exception as err:
            handle.write(f"{step} failed: {err}\n")
            traceback.print_exc(file=handle)
            handle.flush()
            print(f"{step} failed: {err}", file=saved_stderr)
            raise
        finally:
            sys.stderr = saved_stderr
