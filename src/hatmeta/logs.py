"""Send a workflow step's messages to its Snakemake log file, and name what failed."""

from __future__ import annotations

import logging
import sys
import traceback
from contextlib import contextmanager
from pathlib import Path


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
        try:
            yield logging.getLogger(f"hatmeta.{step}")
        except Exception as err:
            handle.write(f"{step} failed: {err}\n")
            traceback.print_exc(file=handle)
            handle.flush()
            print(f"{step} failed: {err}", file=saved_stderr)
            raise
        finally:
            sys.stderr = saved_stderr
