"""Bad input never crashes and never passes silently: the corpus in tests/data/bad_input.

Each case edits one input of a copy of the project and runs the README's command there. The
run must stop at start-up (non-zero exit, before any job) with a message that names the file
and, where there is one, the physical line and column, shows no Python traceback, and leaves
nothing under ``results/``. ``hatmeta check`` on the same copy (no Snakemake) exits with 1 and
prints the same message: the workflow test compares it with Snakemake's output line for line.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, snakemake

CASES = yaml.safe_load((ROOT / "tests" / "data" / "bad_input" / "cases.yaml").read_text())
#: The files a case may edit, by the path the project's config gives them.
FILES = {
    "sheet": "data/raw/extraction.csv",
    "bibliography": "data/raw/bibliography.csv",
    "config": "config/config.yaml",
    "facts": "data/raw/riott_urine_testing.yaml",
    "trials": "data/raw/trials.csv",
    "risk_of_bias": "data/raw/risk_of_bias.csv",
    "rob2_answers": "data/raw/rob2_answers.csv",
}


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _write(rows, delimiter=",", end="") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=end + "\n").writerows(rows)
    return out.getvalue()


def _decimal_comma_locale(text: str) -> str:
    """What a spreadsheet in a decimal-comma locale saves: ';' between fields, ',' in numbers."""
    rows = [
        [cell.replace(".", ",") if _is_decimal(cell) else cell for cell in r] for r in _rows(text)
    ]
    return _write(rows, delimiter=";")


def _is_decimal(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return "." in cell


#: Whole-file changes (text in, text or bytes out).
TRANSFORMS = {
    "semicolons": lambda text: _write(_rows(text), delimiter=";"),
    "tabs": lambda text: _write(_rows(text), delimiter="\t"),
    "decimal_comma_locale": _decimal_comma_locale,
    "trailing_commas": lambda text: "".join(
        line + ("," if i else "") + "\n" for i, line in enumerate(text.splitlines())
    ),
    "empty": lambda text: "",
    "header_only": lambda text: text.splitlines(keepends=True)[0],
    "latin1": lambda text: text.encode("latin-1"),
    "utf16": lambda text: text.encode("utf-16"),
    "binary": lambda text: bytes(range(256)) * 4,
    "workbook": lambda text: b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 200,
    "drop_overall": lambda text: "".join(
        line for line in text.splitlines(keepends=True) if ",overall," not in line
    ),
    "drop_en2010": lambda text: "".join(
        line for line in text.splitlines(keepends=True) if not line.startswith("EN2010,")
    ),
}


def _apply(text: str, edit: dict) -> tuple[str | bytes, int | None]:
    """The edited file and the physical line of the edit (None for a whole-file change)."""
    if "transform" in edit:
        return TRANSFORMS[edit["transform"]](text), None
    if "append" in edit:
        text = text if text.endswith("\n") else text + "\n"
        return text + edit["append"] + "\n", text.count("\n") + 1
    if "replace" in edit:
        old, new = edit["replace"]
        assert old in text, f"the case's text is no longer in the file: {old!r}"
        at = text.index(old)
        return text.replace(old, new, 1), text.count("\n", 0, at) + 1
    anchor = edit["insert_before"]
    assert anchor in text, f"the case's anchor is no longer in the file: {anchor!r}"
    at = text.rfind("\n", 0, text.index(anchor)) + 1
    return text[:at] + edit["line"] + "\n" + text[at:], text.count("\n", 0, at) + 1


def _project_copy(workdir: Path) -> Path:
    for name in ("config", "data"):
        shutil.copytree(ROOT / name, workdir / name)
    return workdir


def _edited_project(case: dict, workdir: Path) -> tuple[Path, str, int | None]:
    """A copy of the project with the case's edits; the edited file's path as the config
    names it and the physical line of its last edit."""
    workdir = _project_copy(workdir)
    file = FILES.get(case.get("file"), "")
    line = None
    # A case edits its file; `also` edits other files the same way (their lines are not named).
    for index, part in enumerate([case, *case.get("also", ())]):
        path = FILES.get(part.get("file"), "")
        if not path:
            continue
        content: str | bytes = (workdir / path).read_text()
        for edit in part["edits"]:
            content, edited = _apply(content, edit)
            line = (edited or line) if index == 0 else line
        target = workdir / path
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
    return workdir, file, line


def _check_args(case: dict) -> list[str]:
    """The case's Snakemake arguments as ``hatmeta check`` takes them (``--config
    review=FILE`` is ``--config FILE``)."""
    args = list(case.get("args", ()))
    if args[:1] == ["--config"] and args[1].startswith("review="):
        return ["--config", args[1].removeprefix("review="), *args[2:]]
    assert not args, f"no hatmeta check arguments for {args}"
    return []


def hatmeta_check(workdir: Path, case: dict, capsys) -> tuple[int, str]:
    """``hatmeta check`` on the case's copy: the exit code and what it printed."""
    from hatmeta import cli

    capsys.readouterr()
    code = cli.main(["check", str(workdir), *_check_args(case)])
    printed = capsys.readouterr()
    return code, printed.out + printed.err


@pytest.mark.workflow
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_input_stops_at_start_up_with_a_located_message(case, tmp_path, capsys):
    workdir, file, line = _edited_project(case, tmp_path / "project")
    result = snakemake("--cores", "1", *case.get("args", ()), cwd=workdir, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    for expected in case["expect"]:
        assert expected.format(file=file, line=line) in output, (expected, line, output)
    assert "Traceback" not in output, output
    assert not (workdir / "results").exists() or not any((workdir / "results").rglob("*"))
    # hatmeta check prints the same message, line for line
    code, message = hatmeta_check(workdir, case, capsys)
    assert code == 1
    for text in message.splitlines():
        assert text in output, (text, output)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_hatmeta_check_refuses_each_case_with_the_workflows_message(case, tmp_path, capsys):
    """The same cases through ``hatmeta check`` (no Snakemake): exit code 1 and every text the
    workflow's message must contain."""
    workdir, file, line = _edited_project(case, tmp_path / "project")
    code, message = hatmeta_check(workdir, case, capsys)
    assert code == 1, message
    for expected in case["expect"]:
        assert expected.format(file=file, line=line) in message, (expected, line, message)
    assert "Traceback" not in message
    assert not (workdir / "results").exists() and not (workdir / ".snakemake").exists()


def test_the_corpus_covers_at_least_thirty_cases():
    assert len(CASES) >= 30
    assert len({c["id"] for c in CASES}) == len(CASES)
