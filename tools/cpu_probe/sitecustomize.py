"""CPU probe for ``tools/benchmark.py``: each Python process of a benchmarked run appends, at
exit, one JSON line with its own CPU seconds (user + system, not its children's) to the file
named by ``HATMETA_CPU_PROBE``, with the Snakemake rule it ran when it is a job's script.

The benchmark puts this directory first on ``PYTHONPATH`` for its runs only, so Python imports
this module at start-up in Snakemake, in every job script and in the notebook kernels. A job
counts with its finished children (its notebook kernel, which is often stopped by a signal and
then writes no record of its own). Nothing else is changed in the processes it watches; without
``HATMETA_CPU_PROBE`` it does nothing.
"""

import atexit
import json
import os
import sys


def _record() -> None:
    times = os.times()
    job = getattr(sys.modules.get("__main__"), "snakemake", None)
    entry = {
        "pid": os.getpid(),
        "ppid": os.getppid(),
        "cpu": round(times.user + times.system, 3),
        # Finished children this process waited for: a job's notebook kernel, which its runner
        # may shut down with a signal before the kernel's own record is written.
        "children_cpu": round(times.children_user + times.children_system, 3),
        "rule": getattr(job, "rule", None),
        "wildcards": dict(getattr(job, "wildcards", {}) or {}),
        "program": os.path.basename(sys.argv[0]) if sys.argv else "",
    }
    # One short line in append mode: processes ending together do not interleave their lines.
    with open(os.environ["HATMETA_CPU_PROBE"], "a", encoding="utf-8") as out:
        out.write(json.dumps(entry) + "\n")


if os.environ.get("HATMETA_CPU_PROBE"):
    atexit.register(_record)
