"""The HTML report in the same headless Chromium as the site test: its charts really render.

Skipped, with a message, when chromium or chromedriver is absent (`make browser-deps`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import copy_demo, run_kbgen

pytestmark = pytest.mark.browser


def test_the_demo_reports_charts_render_in_a_browser(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    project = copy_demo(tmp_path / "demo")
    page = tmp_path / "report.html"
    result = run_kbgen("report", "--html", str(page), "--as-of", "2026-11-22", cwd=project)
    assert result.code == 0, result.stderr

    browser.get(page.as_uri())
    assert "Help center coverage" in browser.title
    for chart in ("chart-weekly", "chart-coverage", "chart-gaps"):
        svg = browser.find_element(By.CSS_SELECTOR, f"#{chart} svg")
        assert svg.size["width"] > 300 and svg.size["height"] > 100, (chart, svg.size)
        bars = browser.find_elements(By.CSS_SELECTOR, f"#{chart} rect")
        drawn = [b for b in bars if b.size["height"] > 0 and b.size["width"] > 0]
        assert len(drawn) >= 3, (chart, len(drawn))
    weekly = browser.find_elements(By.CSS_SELECTOR, "#chart-weekly rect")
    assert len(weekly) == 8  # eight weeks of demo notes, 2026-W40 to W47
    colours = {b.value_of_css_property("fill") for b in browser.find_elements(By.CSS_SELECTOR, "#chart-coverage rect")}
    assert len(colours) == 4  # closed, drafted, findability and gaps are told apart

