"""hatmeta.startup: a start-up step runs again exactly when something it reads changed, and a
failure is never remembered (bad input gets the whole check and the same message every time)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import CONFIG, ROOT, at

from hatmeta import preflight, startup
from hatmeta.codeprint import PackageCode
from hatmeta.config import ConfigError, read, settings, validate


class Library:
    """A stand-in for the installed package whose code fingerprint a test chooses."""

    def __init__(self, code: str = "code 1") -> None:
        self.code = code

    def modules_fingerprint(self, *names: str) -> str:
        return f"{self.code} {' '.join(names)}"


@pytest.fixture
def counted(monkeypatch):
    """Counts the real checks that run (and still runs them)."""
    calls = {"validate": 0, "check": 0}
    real_validate, real_check = validate, preflight.check

    def counting_validate(*args, **kwargs):
        calls["validate"] += 1
        return real_validate(*args, **kwargs)

    def counting_check(*args, **kwargs):
        calls["check"] += 1
        return real_check(*args, **kwargs)

    monkeypatch.setattr("hatmeta.config.validate", counting_validate)
    monkeypatch.setattr(preflight, "check", counting_check)
    return calls


@pytest.fixture
def project(tmp_path):
    """A copy of the project's config and data, to edit."""
    for name in ("config", "data"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path


def project_settings(root):
    config, positions = read(root / "config" / "config.yaml")
    return at(root, settings(validate(config, positions=positions))), positions


def test_a_validated_config_is_remembered_with_its_defaults(tmp_path, counted):
    expected = validate(read(CONFIG)[0])
    for _ in range(2):
        config, positions = read(CONFIG)
        startup.validate_config(config, str(CONFIG), positions, Library(), tmp_path)
        assert config == expected
        assert list(config) == list(expected)
    assert counted["validate"] == 1


@pytest.mark.parametrize("change", ["config", "code"])
def test_a_changed_config_or_code_validates_again(tmp_path, counted, change):
    config, positions = read(CONFIG)
    startup.validate_config(config, str(CONFIG), positions, Library(), tmp_path)
    config, positions = read(CONFIG)
    library = Library()
    if change == "config":
        config["sampler"]["draws"] += 1
    else:
        library.code = "code 2"
    startup.validate_config(config, str(CONFIG), positions, library, tmp_path)
    assert counted["validate"] == 2
    assert config["sampler"]["draws"] == read(CONFIG)[0]["sampler"]["draws"] + (change == "config")


def test_an_invalid_config_fails_the_same_way_every_time(tmp_path, counted):
    messages = []
    for _ in range(2):
        config, positions = read(CONFIG)
        config["sampler"]["draws"] = "many"
        with pytest.raises(ConfigError) as err:
            startup.validate_config(config, str(CONFIG), positions, Library(), tmp_path)
        messages.append(str(err.value))
    assert counted["validate"] == 2
    assert messages[0] == messages[1]
    assert "sampler/draws" in messages[0] and "line" in messages[0]


def test_the_checks_notes_are_remembered(project, tmp_path, counted):
    store = tmp_path / "store"
    runs = []
    for _ in range(2):
        settings_, positions = project_settings(project)
        runs.append(startup.check_inputs(settings_, "config", positions, Library(), store))
    assert counted["check"] == 1
    assert runs[0] == runs[1] == preflight.check(settings_, "config", positions)
    assert runs[0], "the project's check has notes (trials left out)"


@pytest.mark.parametrize("change", ["data", "settings", "code"])
def test_a_changed_data_file_setting_or_code_checks_again(project, tmp_path, counted, change):
    store = tmp_path / "store"
    settings_, positions = project_settings(project)
    startup.check_inputs(settings_, "config", positions, Library(), store)
    library = Library()
    if change == "data":
        with open(settings_.data.risk_of_bias, "a") as handle:
            handle.write("\n")
    elif change == "settings":
        settings_ = settings_._replace(checks=settings_.checks._replace(imputation_tolerance=9.0))
    else:
        library.code = "code 2"
    startup.check_inputs(settings_, "config", positions, library, store)
    assert counted["check"] == 2


def test_bad_data_fail_the_same_way_every_time(project, tmp_path, counted):
    store = tmp_path / "store"
    settings_, positions = project_settings(project)
    startup.check_inputs(settings_, "config", positions, Library(), store)  # a good run first
    sheet = settings_.data.extraction
    path = Path(sheet)
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join([lines[0], lines[1].replace(",", ",,", 1), *lines[2:]]))
    messages = []
    for _ in range(2):
        with pytest.raises(preflight.InputError) as err:
            startup.check_inputs(settings_, "config", positions, Library(), store)
        messages.append(str(err.value))
    assert counted["check"] == 3
    assert messages[0] == messages[1]
    assert sheet in messages[0] and "line 2" in messages[0]


def test_an_unreadable_store_is_ignored(project, tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    (store / "preflight.pickle").write_bytes(b"not a pickle")
    settings_, positions = project_settings(project)
    notes = startup.check_inputs(settings_, "config", positions, Library(), store)
    assert notes == preflight.check(settings_, "config", positions)


def test_the_checks_code_is_every_module_preflight_reaches():
    library = PackageCode.installed()
    reached = {module.name for module in library.reached(["hatmeta.preflight"])}
    assert {"hatmeta.data.sheet", "hatmeta.data.tables", "hatmeta.riott.facts"} <= reached
    assert library.modules_fingerprint("hatmeta.preflight") != library.modules_fingerprint(
        "hatmeta.config"
    )
