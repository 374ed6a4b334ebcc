"""Draw README's picture of the summary of findings from the report a run wrote.

    .venv/bin/python tools/readme_picture.py [REPORT] [PICTURE]

Takes the report's styles and its summary-of-findings section into a page of their own and has
headless Chromium photograph it, so the picture is the report's table exactly as a reader sees
it. Re-run it after a change to the results that README should show.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars")


def page(report: str) -> str:
    style = re.search(r"<style>.*?</style>", report, re.S)
    section = re.search(r'<section id="grade">.*?</section>', report, re.S)
    if not (style and section):
        raise SystemExit("no summary-of-findings section in the report")
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"{style.group(0)}</head><body><main>{section.group(0)}</main></body></html>"
    )


def main(report: Path, picture: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("needs chromium")
    with tempfile.TemporaryDirectory() as scratch:
        html = Path(scratch) / "sof.html"
        html.write_text(page(report.read_text(encoding="utf-8")), encoding="utf-8")
        picture.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                chromium,
                *FLAGS,
                f"--user-data-dir={scratch}/profile",
                "--window-size=1100,1500",
                f"--screenshot={picture.resolve()}",
                html.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    print(f"wrote {picture}")


if __name__ == "__main__":
    args = sys.argv[1:]
    main(
        Path(args[0] if args else "results/report/report.html"),
        Path(args[1] if len(args) > 1 else "docs/img/summary_of_findings.png"),
    )
