"""Interactive views in the self-contained report: Vega specifications, with Vega inlined.

The report must open offline, from one file, with no server and no network request, so the Vega
library is inlined as one script: vl-convert bundles Vega, Vega-Lite and vega-embed (about
0.9 MB; vl-convert's Vega-only bundle exports no usable ``vega`` object) once into a results file
the report reads. Each view is a Vega specification written as JSON in
a ``<script type="application/json">`` element; :data:`GLUE` renders every such element into the
``<div>`` it names. Vega draws the controls (signals bound to inputs) itself: no hand-written
interaction code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hatmeta.io import write_text

# Renders every view; `data-vega-for` names the element the view is drawn in.
GLUE = """
for (const element of document.querySelectorAll("script[data-vega-for]")) {
  vegaEmbed("#" + element.dataset.vegaFor, JSON.parse(element.textContent),
            {mode: "vega", renderer: "svg", actions: false});
}
"""


def write_bundle(path: str | Path) -> None:
    """Write the Vega library as one script (no network: vl-convert carries its sources)."""
    import vl_convert

    write_text(vl_convert.javascript_bundle("window.vegaEmbed = vegaEmbed;"), path)


def view(element_id: str, spec: dict[str, Any]) -> dict[str, str]:
    """A view for the report template: the element id and the specification as JSON that is
    safe inside a ``<script>`` element (every ``<`` escaped, so nothing can close it)."""
    text = json.dumps(spec, separators=(",", ":")).replace("<", "\\u003c")
    return {"id": element_id, "spec": text}


def library(path: str | Path) -> str:
    """The bundled library and the glue, as script text for the report. Code cannot be escaped
    like data, so a bundle that could close its ``<script>`` element is refused."""
    text = Path(path).read_text(encoding="utf-8")
    if "</script" in text.lower() or "<!--" in text:
        raise ValueError(f"{path}: the Vega bundle contains '</script' or '<!--'")
    return text + "\n" + GLUE
