"""The review pack as a person sees it: the exported HTML opened in headless Chromium with the
network shut off, and the PDF's pages rendered to pictures.

Needs Debian's `chromium`, `chromium-driver` and `poppler-utils` (`.ci/run` installs them): without
them the test skips and says so, except under CI=true, where their absence is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.helpers import REF, InProcessShell, Shell, walkthrough

# One pytest-xdist worker runs them all, so that the module's export is made once.
pytestmark = pytest.mark.xdist_group("export_in_browser")

TOOLS = {"chromium": "chromium", "chromedriver": "chromium-driver", "pdftoppm": "poppler-utils"}


def needed(program: str) -> str:
    found = shutil.which(program)
    if found is None:
        why = f"{program} is not installed (apt-get install {TOOLS[program]})"
        if os.environ.get("CI") == "true":
            pytest.fail(why)
        pytest.skip(why)
    return found


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The walkthrough's ledger, exported as HTML, PDF and JSON by the installed command. (The
    ledger is built in-process: the walkthrough runs through the installed command in
    test_walkthrough.py; here only the pages it leads to are looked at.)"""
    folder = tmp_path_factory.mktemp("pack")
    url = f"sqlite:///{folder / 'ledger.db'}"
    built = InProcessShell(folder, url)
    walkthrough(built)
    built.ok("share", REF, "5", "--with", "police", "--occurred-at", "2016-10-19", "--by", "7702")
    shell = Shell(folder, url)
    shell.env["LEDGER_ACTOR"] = built.env["LEDGER_ACTOR"]
    files = {}
    for fmt in ("html", "pdf", "json"):
        files[fmt] = folder / f"record.{fmt}"
        shell.ok("export", REF, "--format", fmt, "--out", str(files[fmt]))
    return files


def browser(scripts: bool = True) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = needed("chromium")
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--window-size=1280,1000",
        # Nothing can leave the machine: every name fails to resolve and every proxy is refused.
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--proxy-server=127.0.0.1:9",
    ):
        options.add_argument(argument)
    if not scripts:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2}
        )
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(needed("chromedriver")), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """One browser for the module's tests: each loads the page afresh, and a Chromium started
    for each cost a test more than what it looked at."""
    yield from browser()


@pytest.fixture
def chromium_without_scripts() -> Iterator[object]:
    yield from browser(scripts=False)


def test_the_page_shows_the_chart_with_a_mark_per_entry_and_fetches_nothing(exported, chromium):
    from selenium.webdriver.common.by import By

    chromium.get(exported["html"].as_uri())
    entries = json.loads(exported["json"].read_text())["timeline"]

    errors = [e for e in chromium.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    chart = chromium.find_element(By.ID, "timeline-chart")
    assert chart.is_displayed() and chart.size["height"] > 200
    marks = chart.find_elements(By.CSS_SELECTOR, "svg .mark")
    assert len(marks) == len(entries)
    assert all(m.is_displayed() for m in marks)
    names = sorted(m.get_attribute("aria-label").split(" ", 1)[0] for m in marks)
    assert names == sorted(f"#{e['entry']}" for e in entries)
    # The page itself is the only thing loaded.
    assert chromium.execute_script("return performance.getEntriesByType('resource').length") == 0


def test_hovering_a_mark_shows_its_summary(exported, chromium):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    chromium.get(exported["html"].as_uri())
    mark = chromium.find_element(By.CSS_SELECTOR, '#timeline-chart .mark[data-entry="5"]')

    ActionChains(chromium).move_to_element(mark).perform()

    said = chromium.find_element(By.ID, "chart-readout").text
    assert said.startswith("#5 ") and "Seen near a school at night" in said


def test_the_agency_filter_hides_one_lane_and_keeps_the_other(exported, chromium):
    from selenium.webdriver.common.by import By

    chromium.get(exported["html"].as_uri())
    police = chromium.find_elements(By.CSS_SELECTOR, '#timeline-chart .mark[data-agency="police"]')
    probation = chromium.find_elements(
        By.CSS_SELECTOR, '#timeline-chart .mark[data-agency="probation"]'
    )
    assert police and probation

    chromium.find_element(By.CSS_SELECTOR, '#chart-filter input[value="police"]').click()

    assert not any(m.is_displayed() for m in police)
    assert all(m.is_displayed() for m in probation)


def test_without_javascript_the_chart_still_shows(exported, chromium_without_scripts):
    from selenium.webdriver.common.by import By

    driver = chromium_without_scripts
    driver.get(exported["html"].as_uri())

    marks = driver.find_elements(By.CSS_SELECTOR, "#timeline-chart svg .mark")
    assert marks and all(m.is_displayed() for m in marks)
    # The filter needs the script: it stays out of sight rather than doing nothing.
    assert not driver.find_element(By.ID, "chart-filter").is_displayed()


def test_the_pdfs_first_page_holds_the_chart(exported, tmp_path):
    from PIL import Image

    subprocess.run(
        [needed("pdftoppm"), "-png", "-r", "60", "-f", "1", "-l", "1", str(exported["pdf"]),
         str(tmp_path / "page")],
        check=True,
    )  # fmt: skip
    page = Image.open(next(tmp_path.glob("page*.png"))).convert("RGB")

    counted = page.getcolors(maxcolors=1 << 24) or []

    def pixels(colour: tuple[int, int, int]) -> int:
        return sum(
            n
            for n, seen in counted
            if all(abs(a - b) < 24 for a, b in zip(seen, colour, strict=True))
        )

    # Ownership bars, a never-met warning's flag and the risk-relevant disclosures' marks.
    assert pixels((0xDC, 0xE7, 0xF2)) > 500
    assert pixels((0xC0, 0x00, 0x00)) > 50
    assert pixels((0xD5, 0x5E, 0x00)) > 20
