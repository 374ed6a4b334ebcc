"""A reviewer's own RIOTT scenario, off the workflow's grid, answered where it is asked.

The notebook ``riott_sensitivity`` answers a scenario the workflow did not compute as the
workflow answers a named one (its jobs ``riott_scenario`` and ``riott_scenarios_pooled``): the
assumptions checked against the published counts, the imputed responder counts drawn, and
RIOTT's evidence carried into the pooled analysis as the mixture of the bank's exact posteriors
(:mod:`hatmeta.riott.propagation`). No sampling: an answer costs a fraction of a second of CPU
(an arm posterior is fitted once per missing share and kept; a new IMOR reuses it).

:func:`controls` gives the notebook its ipywidgets, live in Jupyter only: the workflow executes
the notebook headless, where nobody moves a control, and shows the default scenario's answer.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pandas as pd

from hatmeta.report.format import table
from hatmeta.riott import scenarios
from hatmeta.riott.propagation import pooled
from hatmeta.riott.report import scenario_rows
from hatmeta.riott.settings import Scenario

if TYPE_CHECKING:
    from hatmeta.riott.bank import Bank
    from hatmeta.riott.settings import RiottSettings

NAME = "YOUR SCENARIO"
#: The methadone arm's missing share: from the heroin share by a reading of the anchor, or given.
EXPLICIT = "explicit share"


def your_scenario(
    imor_heroin: float,
    imor_methadone: float,
    missing_share_heroin: float,
    methadone: str | float | None = None,
) -> Scenario:
    """A scenario from the notebook's parameters. ``methadone``: the oral-methadone arm's
    missing share, or a reading of the anchor (``percentage_points``, ``relative``), or None
    for the config's reading."""
    explicit = methadone if isinstance(methadone, int | float) else None
    reading = methadone if isinstance(methadone, str) else None
    return Scenario(
        name=NAME,
        imor_heroin=float(imor_heroin),
        imor_methadone=float(imor_methadone),
        missing_share_heroin=float(missing_share_heroin),
        missing_share_methadone=None if explicit is None else float(explicit),
        anchor_reading=reading,
    )


def answer(
    riott: RiottSettings,
    scenario: Scenario,
    inputs: scenarios.Inputs,
    bank: Bank,
    higher_is_better: bool,
) -> pd.DataFrame:
    """One scenario from its assumptions to RIOTT's and the pooled result: one row with the
    columns of ``scenarios.csv``."""
    [result] = scenarios.run(riott, [scenario], inputs, riott.draws)
    scenarios.check_grid(result)
    return pooled(
        scenarios.frame([result], inputs),
        scenarios.imputations_frame([result]),
        bank,
        higher_is_better,
    )


#: The columns of :func:`readable`, as the report names them.
READABLE = [
    "IMOR heroin / methadone",
    "missing share heroin / methadone",
    "responders heroin",
    "responders methadone",
    "RIOTT OR (95% CrI)",
    "pooled OR (95% CrI)",
    "pooled P(benefit)",
    "compatible",
]


def readable(table: pd.DataFrame) -> pd.DataFrame:
    """Scenarios as the report shows them (:func:`hatmeta.riott.report.scenario_rows`), cut to
    the columns that answer a reader's questions (:data:`READABLE`: assumptions, imputed
    responders, RIOTT's and the pooled result), so that the table fits the page."""
    rows = scenario_rows(table)
    frame = pd.DataFrame(rows["rows"], columns=rows["header"]).set_index("Scenario")
    return frame[READABLE]


def formatted(frame: pd.DataFrame, headers: dict[str, str], index: int = 1) -> pd.DataFrame:
    """A results table as the report formats it (:func:`hatmeta.report.format.table`), its
    columns renamed by ``headers`` and its first ``index`` columns as the row labels."""
    shown = table(frame, headers)
    out = pd.DataFrame(shown["rows"], columns=shown["header"])
    return out.set_index(shown["header"][:index])


def _imor(text: str) -> float:
    value = float(text.strip())
    if math.isnan(value) or value < 0:
        raise ValueError(f"an IMOR is a number from 0 to inf, not '{text}'")
    return value


def controls(
    riott: RiottSettings, initial: Scenario, ask: Callable[[Scenario], pd.DataFrame]
) -> Any:
    """ipywidgets to move the assumptions of ``initial``; each change calls ``ask`` with the
    new scenario and shows the table it returns, with the CPU time it took."""
    import ipywidgets as widgets
    from IPython.display import display

    layout = {"width": "26rem"}
    style = {"description_width": "15rem"}

    def text(description, value):
        return widgets.Text(
            value=f"{value:g}",
            description=description,
            continuous_update=False,
            layout=layout,
            style=style,
        )

    def slider(description, value, disabled=False):
        return widgets.FloatSlider(
            value=value,
            min=0.01,
            max=0.9,
            step=0.01,
            description=description,
            continuous_update=False,
            readout_format=".2f",
            disabled=disabled,
            layout=layout,
            style=style,
        )

    resolved = riott.resolved(initial)
    explicit = initial.missing_share_methadone is not None
    imor_heroin = text("IMOR heroin arm (0 to inf)", initial.imor_heroin)
    imor_methadone = text("IMOR oral-methadone arm (0 to inf)", initial.imor_methadone)
    share_heroin = slider("missing share, heroin arm", resolved.missing_share_heroin)
    readings = [*dict.fromkeys((riott.anchor_reading, *riott.ranges.anchor_reading)), EXPLICIT]
    methadone = widgets.Dropdown(
        options=readings,
        value=EXPLICIT if explicit else resolved.anchor_reading,
        description="oral-methadone share from",
        layout=layout,
        style=style,
    )
    share_methadone = slider(
        "missing share, oral-methadone arm",
        initial.missing_share_methadone or 0.5,
        disabled=not explicit,
    )
    output = widgets.Output()

    def update(_=None):
        share_methadone.disabled = methadone.value != EXPLICIT
        output.clear_output(wait=True)
        with output:
            try:
                scenario = your_scenario(
                    _imor(imor_heroin.value),
                    _imor(imor_methadone.value),
                    share_heroin.value,
                    share_methadone.value if methadone.value == EXPLICIT else methadone.value,
                )
            except ValueError as error:
                print(error)
                return
            start = time.process_time()
            table = ask(scenario)
            print(f"answered in {time.process_time() - start:.2f} s of CPU")
            display(readable(table))

    for control in (imor_heroin, imor_methadone, share_heroin, methadone, share_methadone):
        control.observe(update, names="value")
    update()
    return widgets.VBox(
        [imor_heroin, imor_methadone, share_heroin, methadone, share_methadone, output]
    )
