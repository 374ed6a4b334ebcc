"""The documentation: the config reference covers every schema key, described; the commands
the pages show are the command's own; the site builds in strict mode."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import yaml
from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import config_reference

from hatmeta import cli

DOCS = ROOT / "docs"
MKDOCS = Path(sys.executable).with_name("mkdocs")


def test_every_schema_key_has_a_description():
    assert config_reference.undocumented(config_reference.load()) == []


def test_a_key_without_a_description_is_found():
    schema = yaml.safe_load(
        """
        $defs: {share: {type: number, description: a share}}
        properties:
          a: {type: object, description: A, properties: {b: {type: integer}}}
          m:
            type: object
            description: M
            additionalProperties:
              type: object
              properties:
                c: {$ref: "#/$defs/share"}
                d: {type: string}
          l:
            type: array
            description: L
            items: {type: object, properties: {e: {type: string}}}
        """
    )
    assert config_reference.undocumented(schema) == ["a/b", "m/<name>/d", "l[]/e"]


def test_the_reference_lists_every_key_with_its_default():
    schema = config_reference.load()
    text = config_reference.markdown(schema)
    paths = [key.path for key in config_reference.keys(schema)]
    assert len(paths) > 100
    for path in paths:
        assert f"`{path}`" in text, path
    row = next(line for line in text.splitlines() if line.startswith("| `sampler/seed` |"))
    assert f"`{schema['properties']['sampler']['properties']['seed']['default']}`" in row
    assert "| `data/extraction` | string | required |" in text


def test_the_config_page_holds_the_generated_reference():
    page = (DOCS / "config.md").read_text()
    assert config_reference.PLACEHOLDER in page
    generated = config_reference.on_page_markdown(page, None, None, None)
    assert config_reference.PLACEHOLDER not in generated and "## `certainty`" in generated


def _commands(prefix: str) -> list[str]:
    """Command lines of the pages' code blocks that run ``prefix`` (comments dropped)."""
    found = []
    for page in sorted(DOCS.rglob("*.md")):
        for block in re.findall(r"```bash\n(.*?)```", page.read_text(), flags=re.DOTALL):
            for line in block.replace("\\\n", " ").splitlines():  # continued lines joined
                words = shlex.split(line, comments=True)
                if words and Path(words[0]).name == prefix:
                    found.append(line)
    return found


def test_every_hatmeta_command_in_the_docs_is_one_the_command_takes():
    commands = _commands("hatmeta")
    assert len(commands) >= 4
    for line in commands:
        arguments = shlex.split(line, comments=True)[1:]
        cli.parser().parse_args(arguments)  # exits (fails the test) on a wrong command line


def test_the_site_builds_in_strict_mode(tmp_path):
    result = subprocess.run(
        [str(MKDOCS), "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": str(MKDOCS.parent)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    config_page = (tmp_path / "site" / "config" / "index.html").read_text()
    assert "riott/tipping/cells_per_job" in config_page
    tutorial = (tmp_path / "site" / "tutorial" / "index.html").read_text()
    assert "events 600 exceed total 306" in tutorial  # included from the tested file
