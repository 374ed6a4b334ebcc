"""A throwaway single-node SLURM cluster on loopback, for testing the SLURM workflow profile.

Everything lives in one directory: a MUNGE key and socket, ``slurm.conf`` (controller and one
compute daemon on 127.0.0.1, free ports), state, spool, logs and a job-completion log that
records every finished job. Nothing under /etc is touched. Needs Debian's ``slurm-wlm`` and
``munge`` packages and, for ``slurmd`` to start jobs, root.

    python tools/local_slurm.py start DIR   # prints `export SLURM_CONF=DIR/slurm.conf`
    python tools/local_slurm.py stop DIR

From Python (the SLURM test and ``tools/benchmark.py``)::

    with LocalSlurm(directory) as cluster:
        subprocess.run([...], env=cluster.env)

``SlurmUnavailable`` says why a cluster could not start (missing packages, a daemon that
exited, a node that never became idle), with the daemon's log.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "squeue", "scontrol", "scancel", "sinfo", "mungekey")
PARTITION = "debug"
#: Where SLURM's client commands look when SLURM_CONF is unset. Snakemake's job-step executor
#: removes every SLURM_* variable (SLURM_CONF too) before it calls srun inside a job, so the
#: job steps find this cluster only through this path: linked to our slurm.conf while the
#: cluster runs, and only if no other SLURM configuration is there.
SYSTEM_CONF = Path("/etc/slurm/slurm.conf")


#: Snakemake options a cluster like this one needs beyond the SLURM profile: no accounts, and
#: job states from squeue (no accounting database for sacct; finished jobs stay visible for
#: MinJobAge), checked from 2 s after submission instead of the plugin's 40 s.
SNAKEMAKE_ARGS = (
    "--slurm-no-account",
    "--slurm-status-command",
    "squeue",
    "--slurm-init-seconds-before-status-checks",
    "2",
)


class SlurmUnavailable(RuntimeError):
    """SLURM cannot run here; the message says why."""


def missing_programs() -> list[str]:
    return [name for name in (*DAEMONS, *CLIENTS) if shutil.which(name) is None]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _memory_mb() -> int:
    pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    # Leave room for the controller, the workflow's own process and the OS.
    return max(1000, int(pages / 2**20 * 0.75))


@dataclass
class LocalSlurm:
    """Controller, compute daemon and MUNGE on loopback, configured under ``directory``."""

    directory: Path
    cpus: int = field(default_factory=lambda: os.cpu_count() or 1)
    node: str = field(default_factory=lambda: socket.gethostname().split(".")[0])
    start_timeout: float = 60.0

    def __post_init__(self):
        self.directory = Path(self.directory).resolve()
        self.conf = self.directory / "slurm.conf"
        self.munge_socket = self.directory / "munge" / "munge.socket"
        self.jobcomp_log = self.directory / "jobcomp.log"
        self.controller_port = _free_port()
        # Each daemon's pid and log file; munged keeps its own beside its socket and key.
        munge_dir = self.munge_socket.parent
        self.pid_files = {
            "slurmctld": self.directory / "run" / "slurmctld.pid",
            "slurmd": self.directory / "run" / "slurmd.pid",
            "munged": munge_dir / "munged.pid",
        }
        self.logs = {
            "slurmctld": self.directory / "log" / "slurmctld.log",
            "slurmd": self.directory / "log" / "slurmd.log",
            "munged": munge_dir / "munged.log",
        }

    @property
    def env(self) -> dict[str, str]:
        """The environment under which SLURM's client commands talk to this cluster."""
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    def _dir(self, name: str) -> Path:
        path = self.directory / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def write_config(self) -> None:
        user = getpass.getuser()
        memory = _memory_mb()
        settings = {
            "ClusterName": "hatmetatest",
            "SlurmctldHost": f"{self.node}(127.0.0.1)",
            "SlurmctldPort": self.controller_port,
            "SlurmdPort": _free_port(),
            "AuthType": "auth/munge",
            "CredType": "cred/munge",
            "AuthInfo": f"socket={self.munge_socket}",
            "SlurmUser": user,
            "SlurmdUser": user,
            "StateSaveLocation": self._dir("state"),
            "SlurmdSpoolDir": self._dir("spool"),
            "SlurmctldPidFile": self.pid_files["slurmctld"],
            "SlurmdPidFile": self.pid_files["slurmd"],
            "SlurmctldLogFile": self.logs["slurmctld"],
            "SlurmdLogFile": self.logs["slurmd"],
            # No cgroups: the daemons run in containers and sandboxes too.
            "ProctrackType": "proctrack/linuxproc",
            "TaskPlugin": "task/none",
            "JobAcctGatherType": "jobacct_gather/none",
            # No slurmdbd: finished jobs are recorded in a text job-completion log instead,
            # and stay visible to squeue for MinJobAge seconds.
            "AccountingStorageType": "accounting_storage/none",
            "JobCompType": "jobcomp/filetxt",
            "JobCompLoc": self.jobcomp_log,
            "MinJobAge": 3600,
            "SchedulerType": "sched/builtin",
            "SelectType": "select/cons_tres",
            "SelectTypeParameters": "CR_Core_Memory",
            "DefMemPerCPU": 1000,
            "ReturnToService": 2,
            "MpiDefault": "none",
            "SwitchType": "switch/none",
        }
        lines = [f"{key}={value}" for key, value in settings.items()]
        lines += [
            f"NodeName={self.node} NodeAddr=127.0.0.1 CPUs={self.cpus} RealMemory={memory} "
            "State=UNKNOWN",
            f"PartitionName={PARTITION} Nodes={self.node} Default=YES MaxTime=INFINITE State=UP",
        ]
        for path in (*self.pid_files.values(), *self.logs.values()):
            path.parent.mkdir(parents=True, exist_ok=True)
        self.conf.write_text("\n".join(lines) + "\n")

    def _start_munge(self) -> None:
        munge_dir = self.munge_socket.parent
        munge_dir.chmod(0o700)
        key = munge_dir / "munge.key"
        if not key.exists():
            subprocess.run(["mungekey", "--create", "--keyfile", str(key)], check=True)
        key.chmod(0o400)
        self._run_daemon(
            "munged",
            [
                "munged",
                "--force",
                f"--socket={self.munge_socket}",
                f"--key-file={key}",
                f"--pid-file={self.pid_files['munged']}",
                f"--log-file={self.logs['munged']}",
                f"--seed-file={munge_dir / 'munged.seed'}",
            ],
        )

    def _run_daemon(self, name: str, command: list[str]) -> None:
        result = subprocess.run(command, capture_output=True, text=True, env=self.env)
        if result.returncode != 0:
            raise SlurmUnavailable(
                f"{name} did not start (exit {result.returncode}): "
                f"{result.stderr.strip()}\n{_tail(self.logs[name])}"
            )

    def start(self) -> LocalSlurm:
        missing = missing_programs()
        if missing:
            raise SlurmUnavailable(
                "SLURM and MUNGE are not installed (missing: "
                + ", ".join(missing)
                + "); on Debian: apt-get install slurm-wlm munge"
            )
        self.directory.mkdir(parents=True, exist_ok=True)
        self.write_config()
        self._link_system_config()
        # Whatever fails from here on, stop what did start and take the link back.
        try:
            self._start_munge()
            self._run_daemon("slurmctld", ["slurmctld", "-f", str(self.conf)])
            self._run_daemon("slurmd", ["slurmd", "-f", str(self.conf), "-N", self.node])
            self._wait_until_idle()
        except BaseException:
            self.stop()
            raise
        return self

    def _link_system_config(self) -> None:
        if SYSTEM_CONF.is_symlink() and not SYSTEM_CONF.exists():
            SYSTEM_CONF.unlink()  # left behind by a cluster that was not stopped
        if SYSTEM_CONF.exists() or SYSTEM_CONF.is_symlink():
            raise SlurmUnavailable(
                f"{SYSTEM_CONF} already exists (another SLURM installation); job steps would "
                "use it instead of this test cluster, so it is left alone"
            )
        try:
            SYSTEM_CONF.parent.mkdir(parents=True, exist_ok=True)
            SYSTEM_CONF.symlink_to(self.conf)
        except OSError as error:
            raise SlurmUnavailable(f"cannot link {SYSTEM_CONF} to {self.conf}: {error}") from None

    def _unlink_system_config(self) -> None:
        if SYSTEM_CONF.is_symlink() and SYSTEM_CONF.readlink() == self.conf:
            SYSTEM_CONF.unlink()

    def _wait_until_idle(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        state = ""
        while time.monotonic() < deadline:
            result = subprocess.run(
                ["sinfo", "--noheader", "--nodes", self.node, "--format", "%T"],
                capture_output=True,
                text=True,
                env=self.env,
            )
            state = (result.stdout or result.stderr).strip()
            if result.returncode == 0 and state.startswith("idle"):
                return
            time.sleep(0.5)
        raise SlurmUnavailable(
            f"node {self.node} not idle after {self.start_timeout:.0f} s (sinfo: {state!r})\n"
            f"{_tail(self.logs['slurmctld'])}\n{_tail(self.logs['slurmd'])}"
        )

    def stop(self) -> None:
        """Cancel every job, stop the daemons this cluster started; safe to call twice."""
        if self.conf.exists():
            subprocess.run(
                ["scancel", "--user", getpass.getuser()],
                capture_output=True,
                env=self.env,
                timeout=30,
            )
        for daemon in ("slurmd", "slurmctld", "munged"):
            _terminate(self.pid_files[daemon])
        self._unlink_system_config()

    def completed_jobs(self) -> list[dict[str, str]]:
        """Finished jobs from SLURM's job-completion log, one dict of fields per job."""
        if not self.jobcomp_log.exists():
            return []
        jobs = []
        for line in self.jobcomp_log.read_text().splitlines():
            fields = dict(part.split("=", 1) for part in line.split() if "=" in part)
            if fields:
                jobs.append(fields)
        return jobs

    def __enter__(self) -> LocalSlurm:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


def _terminate(pid_file: Path, timeout: float = 20.0) -> None:
    try:
        pid = int(pid_file.read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _tail(path: Path, lines: int = 15) -> str:
    if not path.exists():
        return f"({path} not written)"
    text = path.read_text(errors="replace").splitlines()[-lines:]
    return f"last lines of {path}:\n" + "\n".join(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("start", "stop"))
    parser.add_argument("directory", type=Path)
    args = parser.parse_args(argv)
    cluster = LocalSlurm(args.directory)
    if args.action == "stop":
        cluster.stop()
        return 0
    try:
        cluster.start()
    except SlurmUnavailable as error:
        print(f"SLURM did not start: {error}", file=sys.stderr)
        return 1
    print(f"export SLURM_CONF={cluster.conf}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
