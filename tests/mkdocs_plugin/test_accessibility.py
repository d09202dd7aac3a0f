"""Accessibility of the demo site: axe-core (injected into real Chromium) finds no serious or
critical violation on the pages customers land on, and search and contact work from the keyboard.

Skipped, with a message, when chromium or axe-core is absent (`make browser-deps` installs both).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, served

pytestmark = pytest.mark.browser
AXE = sorted(ROOT.glob(".cache/axe-core-*/axe.min.js"))
PAGES = ["", "billing/", "billing/charged-twice-refunds/", "contact-support/contact-us/", "tags/", "404.html"]


@pytest.fixture(scope="module")
def site_url(demo_site: Path) -> Iterator[str]:
    with served(demo_site) as url:
        yield url


def violations(driver) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    if not AXE:
        pytest.skip("axe-core is not downloaded (run `make browser-deps`)")
    driver.execute_script(AXE[-1].read_text(encoding="utf-8"))
    return driver.execute_async_script(  # type: ignore[no-any-return]
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations.map(v => ("
        "{id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))));"
    )


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("path", PAGES)
def test_no_serious_accessibility_violations(browser, site_url: str, path: str, width: int) -> None:  # type: ignore[no-untyped-def]
    browser.set_window_size(width, 900)
    browser.get(site_url + path)
    serious = [v for v in violations(browser) if v["impact"] in ("serious", "critical")]
    assert serious == [], f"{path or 'home'} at {width}px: {serious}"


def test_search_and_contact_work_from_the_keyboard(browser, site_url: str) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    browser.set_window_size(1280, 900)
    browser.get(site_url)
    wait = WebDriverWait(browser, 20)
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys("/")  # the theme's shortcut to the search box
    box = wait.until(lambda d: d.switch_to.active_element if "md-search__input" in (d.switch_to.active_element.get_attribute("class") or "") else None)
    box.send_keys("zzxqv flurbington")
    link = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '.kbgen-search-contact[data-query$="zzxqv flurbington"] a'))
    assert browser.find_element(By.CSS_SELECTOR, ".kbgen-search-contact").get_attribute("role") == "status"
    for _ in range(12):  # Tab reaches the contact button
        if browser.switch_to.active_element == link:
            break
        browser.switch_to.active_element.send_keys(Keys.TAB)
    assert browser.switch_to.active_element == link
    link.send_keys(Keys.ENTER)
    wait.until(lambda d: "contact-us" in d.current_url)
