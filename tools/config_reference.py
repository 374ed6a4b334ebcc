"""The config reference, generated from ``config/schema.yaml``: every key with its type, default
and description, from the one file the workflow validates against.

As a script it prints the reference (Markdown). As a MkDocs hook (``hooks:`` in mkdocs.yml) it
replaces :data:`PLACEHOLDER` in a page with it while the site is built, so the documentation
cannot disagree with the schema. ``tests/test_docs.py`` fails when a key has no description.

A key path is written with ``/`` as in the workflow's messages; an entry the user names (an
outcome, an analysis, a prior) is shown as ``<outcome>``, and an item of a list as ``[]``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "config" / "schema.yaml"
PLACEHOLDER = "<!-- config-reference -->"
#: What the user-named entries of a mapping are, by the mapping's key.
ENTRY_NAMES = {
    "outcomes": "<outcome>",
    "analyses": "<analysis>",
    "heterogeneity": "<prior>",
    "sets": "<set>",
    "labels": "<arm>",
    "overrides": "<analysis>",
    "overrides/<analysis>": "<domain>",
    "scenarios": "<scenario>",
    "select": "<attribute>",
    "exclude": "<attribute>",
}


@dataclass(frozen=True)
class Key:
    """One key of the config as the schema defines it."""

    path: str
    type: str
    default: str
    description: str


def _resolve(node: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """``node`` with its ``$ref`` followed (the node's own words take precedence)."""
    node = dict(node)
    while "$ref" in node:
        target = schema
        for part in node.pop("$ref").removeprefix("#/").split("/"):
            target = target[part]
        node = {**target, **node}
    return node


def _bounds(node: Mapping[str, Any]) -> str:
    low = (
        f"≥ {node['minimum']}"
        if "minimum" in node
        else f"> {node['exclusiveMinimum']}"
        if "exclusiveMinimum" in node
        else ""
    )
    high = (
        f"≤ {node['maximum']}"
        if "maximum" in node
        else f"< {node['exclusiveMaximum']}"
        if "exclusiveMaximum" in node
        else ""
    )
    return ", ".join(part for part in (low, high) if part)


def type_of(node: Mapping[str, Any], schema: Mapping[str, Any]) -> str:
    """The key's type in words: ``number (> 0, < 1)``, ``one of `stop`, `flag```, ..."""
    node = _resolve(node, schema)
    if "enum" in node:
        return "one of " + ", ".join(f"`{json.dumps(v) if v is None else v}`" for v in node["enum"])
    if "const" in node:
        return f"`{node['const']}`"
    kind = node.get("type", "object" if "properties" in node else "")
    if kind == "array":
        items = type_of(node.get("items", {}), schema)
        return f"list of {items}" if items else "list"
    if kind == "object":
        entries = node.get("additionalProperties")
        if isinstance(entries, Mapping) and "properties" not in node:
            inner = type_of(entries, schema)
            return f"mapping of names to {inner}" if inner else "mapping"
        return "mapping"
    bounds = _bounds(node)
    return f"{kind} ({bounds})" if bounds and kind else kind


def _default(node: Mapping[str, Any], required: bool) -> str:
    if "default" in node:
        text = yaml.safe_dump(node["default"], default_flow_style=True, width=1000)
        return f"`{text.removesuffix('...' + chr(10)).strip()}`"  # a scalar ends the document
    return "required" if required else "optional"


def _words(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _alternatives(node: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, dict]:
    """The properties of every ``oneOf`` alternative, merged by name (consts become an enum)."""
    merged: dict[str, dict] = {}
    for option in node.get("oneOf", []):
        option = _resolve(option, schema)
        for name, prop in option.get("properties", {}).items():
            prop = _resolve(prop, schema)
            if name in merged and "const" in prop:
                seen = merged[name]
                seen["enum"] = [*seen.pop("enum", [seen.pop("const", None)]), prop["const"]]
            elif name not in merged:
                merged[name] = dict(prop)
            elif "description" in prop and "description" not in merged[name]:
                merged[name]["description"] = prop["description"]
    return merged


def keys(schema: Mapping[str, Any]) -> Iterator[Key]:
    """Every key of the schema, depth first in the schema's order."""
    yield from _walk(schema, schema, "")


def _walk(node: Mapping[str, Any], schema: Mapping[str, Any], path: str) -> Iterator[Key]:
    node = _resolve(node, schema)
    required = set(node.get("required", []))
    children = {**node.get("properties", {}), **_alternatives(node, schema)}
    for name, child in children.items():
        child_path = f"{path}/{name}" if path else name
        resolved = _resolve(child, schema)
        yield Key(
            child_path,
            type_of(resolved, schema),
            _default(resolved, name in required),
            _words(resolved.get("description", "")),
        )
        yield from _inside(resolved, schema, child_path, name)


def _inside(node: Mapping[str, Any], schema: Mapping[str, Any], path: str, name: str):
    """The keys under a key: its properties, its entries' or its list items' keys."""
    yield from _walk(node, schema, path)
    entries = node.get("additionalProperties")
    if isinstance(entries, Mapping) and "properties" not in node:
        entries = _resolve(entries, schema)
        entry_path = f"{path}/{ENTRY_NAMES.get(name, '<name>')}"
        if entries.get("description"):  # what every entry is (the key above says what it holds)
            yield Key(entry_path, type_of(entries, schema), "", _words(entries["description"]))
        if entries.get("properties") or entries.get("oneOf"):
            yield from _walk(entries, schema, entry_path)
        elif isinstance(entries.get("additionalProperties"), Mapping):  # a mapping of mappings
            yield from _inside(entries, schema, entry_path, f"{name}/{ENTRY_NAMES.get(name)}")
    items = _resolve(node.get("items", {}), schema) if node.get("type") == "array" else {}
    if items.get("properties"):
        yield from _walk(items, schema, f"{path}[]")


def undocumented(schema: Mapping[str, Any]) -> list[str]:
    """The key paths without a description."""
    return [key.path for key in keys(schema) if not key.description]


def markdown(schema: Mapping[str, Any]) -> str:
    """The reference: one section per top-level key, with a table of the keys under it."""
    sections: dict[str, list[Key]] = {}
    for key in keys(schema):
        sections.setdefault(key.path.split("/")[0], []).append(key)
    out = []
    for top, (head, *rest) in sections.items():
        out += ["", f"## `{top}`", "", f"{head.type}, {head.default}. {head.description}", ""]
        if rest:
            out += ["| key | type | default | description |", "|---|---|---|---|"]
            out += [f"| `{k.path}` | {k.type} | {k.default} | {k.description} |" for k in rest]
    return "\n".join(out).lstrip() + "\n"


def load(path: Path = SCHEMA) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def on_page_markdown(text: str, page, config, files) -> str:
    """MkDocs hook: the reference in place of :data:`PLACEHOLDER`."""
    return text.replace(PLACEHOLDER, markdown(load())) if PLACEHOLDER in text else text


if __name__ == "__main__":
    sys.stdout.write(markdown(load()))
