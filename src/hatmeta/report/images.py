"""Images embedded in the self-contained report: PNG files and figures as ``data:`` URIs."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from pathlib import Path


def png_data_uri(path: str | Path) -> str:
    """A PNG file as a ``data:`` URI."""
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def figure_data_uri(fig) -> str:
    """A matplotlib figure as a ``data:`` URI (closed afterwards)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def rank_plot(posterior_path: str | Path, var_names: Sequence[str] = ("d", "tau")) -> str | None:
    """Rank (fractional-rank delta-ECDF) plots of ``var_names`` as a data URI.

    ``None`` when the fit had no data (an empty posterior).
    """
    import matplotlib

    matplotlib.use("Agg")
    import arviz_plots as azp
    import matplotlib.pyplot as plt

    from hatmeta.io import load_posterior

    tree = load_posterior(posterior_path)
    if "posterior" not in tree.children:
        return None
    variables = [v for v in var_names if v in tree["posterior"].data_vars]
    pc = azp.plot_rank(
        tree, var_names=variables, backend="matplotlib", figure_kwargs={"figsize": (7.5, 2.2)}
    )
    fig = pc.viz["figure"].item() if "figure" in pc.viz else plt.gcf()
    fig.suptitle(f"{tree.attrs.get('analysis', '')}: rank plots", x=0.01, ha="left", fontsize=9)
    return figure_data_uri(fig)
