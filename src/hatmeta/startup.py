"""The workflow's start-up steps, remembered between runs of one working directory.

Before any job, every start-up validates the config against its schema
(:func:`hatmeta.config.validate`) and checks the data against the config
(:func:`hatmeta.preflight.check`). Both are pure functions of what they read, and together they
cost about two seconds, most of a run with nothing to do. So a step's successful result is kept
in ``.snakemake/hatmeta/`` under the sha256 of everything the step reads: the code it runs (the
package's modules it reaches and the installed distributions,
:meth:`hatmeta.codeprint.PackageCode.modules_fingerprint`), its files' bytes and its settings.
Any change to one of them runs the step again. A failure is never kept: bad input always meets
the whole check and gets the same message, naming file, line, column and problem.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hatmeta.codeprint import PackageCode
    from hatmeta.config import Settings
    from hatmeta.yamltext import Positions

#: Where results are kept, relative to the working directory (Snakemake's own state is there).
STORE = Path(".snakemake") / "hatmeta"
#: Changed when what is kept changes shape, so older files are not read as the new kind.
FORMAT = b"hatmeta start-up 1"


class Remembered:
    """One result kept in ``path``, valid while the digest of ``parts`` stays the same.

    The file holds one (key, value) pair: a result for other inputs replaces it. A file that
    cannot be read or written is ignored (the step runs, as on a first start-up).
    """

    def __init__(self, path: Path, *parts: bytes | str) -> None:
        digest = hashlib.sha256(FORMAT)
        for part in parts:
            data = part.encode() if isinstance(part, str) else part
            # Each part's length first: ("ab", "c") and ("a", "bc") give different keys.
            digest.update(len(data).to_bytes(8, "little"))
            digest.update(data)
        self.path, self.key = Path(path), digest.hexdigest()

    def get(self) -> Any | None:
        """The kept result, or None when there is none for these parts."""
        try:
            key, value = pickle.loads(self.path.read_bytes())
        except Exception:  # absent, truncated or foreign: as if there were nothing
            return None
        return value if key == self.key else None

    def put(self, value: Any) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
            tmp.write_bytes(pickle.dumps((self.key, value)))
            tmp.replace(self.path)  # atomic: a concurrent start-up never reads half a file
        except OSError:
            return


def validate_config(
    config: dict,
    source: str,
    positions: Positions,
    library: PackageCode,
    store: Path = STORE,
) -> None:
    """:func:`hatmeta.config.validate` ``config`` in place (defaults filled), or take the
    validated config kept for an identical one. Raises what ``validate`` raises."""
    from hatmeta.config import SCHEMA_PATH, validate

    # Equal pickles load as equal configs (same values, types and key order), so a config
    # whose pickle matches validates to the same result; positions and source only place
    # the problems of a config that fails, and a failure is not kept.
    try:
        given = pickle.dumps(config)
    except Exception:  # a value pickle cannot hold (none YAML gives): validate every time
        validate(config, source=source, positions=positions)
        return
    code = library.modules_fingerprint("hatmeta.config")
    memo = Remembered(store / "config.pickle", code, SCHEMA_PATH.read_bytes(), given)
    validated = memo.get()
    if isinstance(validated, Mapping):
        config.clear()
        config.update(validated)
        return
    validate(config, source=source, positions=positions)
    memo.put(config)


def check_inputs(
    settings: Settings,
    source: str,
    positions: Positions,
    library: PackageCode,
    store: Path = STORE,
) -> list[str]:
    """:func:`hatmeta.preflight.check`, or the notes of its last success on the same code,
    settings and data files. Raises what ``check`` raises."""
    from hatmeta import preflight

    # The settings' repr is complete and stable (NamedTuples of builtins, as Snakemake's params
    # rely on); positions and source only place problems, and a failure is not kept.
    parts = [library.modules_fingerprint("hatmeta.preflight"), repr(settings)]
    for key, path in settings.data._asdict().items():
        if path is not None:
            parts += [key, path, *_contents(Path(path))]
    memo = Remembered(store / "preflight.pickle", *parts)
    notes = memo.get()
    if isinstance(notes, list):
        return notes
    notes = preflight.check(settings, source, positions)
    memo.put(notes)
    return notes


def _contents(path: Path) -> tuple[str, bytes]:
    """A file's bytes, tagged so that a missing or unreadable file differs from any content."""
    try:
        return "file", path.read_bytes()
    except OSError as err:
        return "unreadable", type(err).__name__.encode()
