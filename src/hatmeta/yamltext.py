"""Read a hand-edited YAML file strictly, keeping where each key was written.

PyYAML keeps the last of two equal keys without a word, and Snakemake's own reading of a config
names neither the line nor the column of a syntax error. Here both are errors that name the
file, line and column, and every key path keeps its position so that later checks (schema,
cross-references) can point at the line to edit.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

#: Where every key path is written: ``(file, line, column)``, line and column from 1.
Positions = dict[tuple[str, ...], tuple[str, int, int]]


class YamlFileError(ValueError):
    """A YAML file that cannot be read, with its file, line and column in the message."""


class _DuplicateKey(yaml.MarkedYAMLError):
    pass


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key written twice in one mapping."""

    def construct_mapping(self, node, deep=False):
        first: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in first:
                raise _DuplicateKey(
                    problem=f"key '{key}' appears twice in this mapping (first on line "
                    f"{first[key]}); YAML would silently keep only the last",
                    problem_mark=key_node.start_mark,
                )
            first[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def _where(path: Path, mark) -> str:
    return f"{path}, line {mark.line + 1}, column {mark.column + 1}"


def read_yaml(path: str | Path, what: str = "config file") -> tuple[Any, Positions]:
    """The file's data and the position of every key path in it.

    Raises
    ------
    YamlFileError
        The file is missing or unreadable, is not valid YAML, or writes a key twice in one
        mapping; the message names the file and, for the last two, the line and column.
    """
    path = Path(path)
    if not path.is_file():
        raise YamlFileError(f"{path}: {what} not found")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        line = path.read_bytes()[: err.start].count(b"\n") + 1
        raise YamlFileError(f"{path}, line {line}: not UTF-8 text; save it as UTF-8") from None
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        data = None if node is None else loader.construct_document(node)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = _where(path, mark) if mark is not None else str(path)
        context = f" ({err.context})" if err.context and err.problem_mark else ""
        raise YamlFileError(f"{where}: {err.problem}{context}") from None
    except yaml.YAMLError as err:
        raise YamlFileError(f"{path}: not valid YAML: {err}") from None
    finally:
        loader.dispose()
    positions: Positions = {}
    _walk(node, (), str(path), positions)
    return data, positions


def _walk(node, prefix: tuple[str, ...], path: str, positions: Positions) -> None:
    if isinstance(node, yaml.MappingNode):
        pairs = [(str(k.value), k, v) for k, v in node.value]
    elif isinstance(node, yaml.SequenceNode):
        pairs = [(str(i), item, item) for i, item in enumerate(node.value)]
    else:
        return
    for name, marked, value in pairs:
        key = (*prefix, name)
        positions[key] = (path, marked.start_mark.line + 1, marked.start_mark.column + 1)
        _walk(value, key, path, positions)


def locate(positions: Positions, key: Sequence[Any]) -> str | None:
    """``file, line L, column C`` of the longest written prefix of ``key`` (None for a key
    that only a default fills)."""
    key = tuple(map(str, key))
    for end in range(len(key), 0, -1):
        if key[:end] in positions:
            path, line, column = positions[key[:end]]
            return f"{path}, line {line}, column {column}"
    return None
