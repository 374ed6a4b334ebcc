"""The benchmark's per-rule CPU accounting: the probe records real processes, and the record is
attributed to rules (a notebook kernel to the job that started it)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import benchmark  # noqa: E402


def test_probe_records_a_process_and_its_cpu(tmp_path):
    record = tmp_path / "cpu.jsonl"
    env = benchmark.probed(dict(os.environ), record)
    # A process that burns a measurable amount of CPU, as a Snakemake job's script would.
    code = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass\n"
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    [entry] = [json.loads(line) for line in record.read_text().splitlines()]
    assert entry["cpu"] >= 0.3
    assert entry["pid"] != os.getpid() and entry["rule"] is None


def test_without_the_variable_the_probe_records_nothing(tmp_path):
    env = benchmark.probed(dict(os.environ), tmp_path / "cpu.jsonl")
    del env["HATMETA_CPU_PROBE"]
    subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
    assert not (tmp_path / "cpu.jsonl").exists()


def test_a_job_counts_with_its_children_and_rules_are_summed(tmp_path):
    def line(pid, ppid, cpu, rule=None, program="job.py", children=0.0):
        return {
            "pid": pid,
            "ppid": ppid,
            "cpu": cpu,
            "children_cpu": children,
            "rule": rule,
            "wildcards": {},
            "program": program,
        }

    lines = [
        line(1, 0, 2.0, program="snakemake", children=99.0),  # its children are the jobs
        line(2, 1, 1.5, "notebook", children=4.0),  # the runner waited for its kernel
        line(3, 2, 4.0, program="ipykernel_launcher.py"),  # that kernel: not counted twice
        line(4, 1, 1.0, "fit"),
        line(5, 1, 0.5, "notebook"),
    ]
    record = tmp_path / "cpu.jsonl"
    record.write_text("".join(json.dumps(entry) + "\n" for entry in lines))
    assert benchmark.cpu_by_rule(record) == {
        "notebook": {"cpu_s": 6.0, "jobs": 2},
        "snakemake": {"cpu_s": 2.0, "jobs": 1},
        "fit": {"cpu_s": 1.0, "jobs": 1},
    }


def test_a_waited_for_child_is_in_the_parents_record(tmp_path):
    record = tmp_path / "cpu.jsonl"
    env = benchmark.probed(dict(os.environ), record)
    burn = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass\n"
    parent = f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', {burn!r}])\n"
    subprocess.run([sys.executable, "-c", parent], env=env, check=True)
    entries = {
        e["ppid"] == os.getpid(): e for e in map(json.loads, record.read_text().splitlines())
    }
    assert entries[True]["children_cpu"] >= 0.3 and entries[False]["cpu"] >= 0.3
