"""Remakes the README's two pictures of the review pack from the README's own walkthrough.

    python docs/screenshots.py

Runs the walkthrough's shell block in an empty folder with the `ledger` installed beside this
Python, exports the record as HTML and PDF, then takes `docs/export-html.png` with headless
Chromium (Debian's `chromium` and `chromium-driver`) and `docs/export-pdf.png`, the PDF's first
page, with `pdftoppm` (`poppler-utils`).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
README = HERE.parent / "README.md"
REF = "WMP-000123"


def walkthrough() -> str:
    """The shell block under the README's walkthrough heading."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## A five-minute walkthrough") :]
    found = re.search(r"```sh\n(.*?)```", section, re.S)
    if found is None:
        raise SystemExit("the README has no walkthrough block")
    return found.group(1)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        (work / "walkthrough.sh").write_text(walkthrough(), encoding="utf-8")
        subprocess.run(["bash", "-e", "walkthrough.sh"], cwd=work, env=env, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        env.update(LEDGER_DATABASE_URL="sqlite:///walkthrough.db", LEDGER_ACTOR="1001",
                   LEDGER_REASON="README screenshots")  # fmt: skip
        for fmt in ("html", "pdf"):
            subprocess.run(["ledger", "export", REF, "--format", fmt, "--out", f"record.{fmt}"],
                           cwd=work, env=env, check=True)  # fmt: skip
        html_picture(work / "record.html", HERE / "export-html.png")
        subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile",
                        str(work / "record.pdf"), str(HERE / "export-pdf")], check=True)  # fmt: skip
    for name in ("export-html.png", "export-pdf.png"):
        print(f"wrote docs/{name} ({(HERE / name).stat().st_size // 1024} KB)")


def html_picture(page: Path, out: Path) -> None:
    """The page's opening (the title and the chart) as Chromium shows it, 1280 pixels wide."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,760",
                     "--hide-scrollbars"):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.get(page.as_uri())
        driver.save_screenshot(str(out))
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
