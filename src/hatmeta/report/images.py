"""Images embedded in the self-contained report: PNG files and figures as ``data:`` URIs."""

from __future__ import annotations

import base64
import io
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
