"""The site's signals in headless Chromium: a site built with api_url, served from one local
origin, reporting to a real `kbgen api` on another ("Was this helpful?", failed searches); and
the same site without api_url, which makes no request but to its own host.

Skipped, with a message, when chromium or chromedriver is absent (`make browser-deps`).
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.api.running import Service, free_port, running
from tests.conftest import CHROMEDRIVER, CHROMIUM, KbBuilder, chrome, run_kbgen
from tests.conftest import served as serving

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FAILED = "warranty for a kettle"
WEAK = "refund my seashell collection"  # the theme finds the refunds article, kbgen's search worker marks it weak


@dataclass
class Sites:
    service: Service
    with_api: str  # the site built with api_url
    without_api: str  # the same knowledge base, built without it


def _knowledge_base(root: Path) -> KbBuilder:
    kb = KbBuilder(root)
    kb.article("billing/refunds.md", "How do I get a refund?", "Open **Settings > Billing** and choose *Request refund*.",
               summary="Request a refund from Settings > Billing.", questions=["I want my money back", "refund a charge"])
    kb.article("account/reset-password.md", "Reset your password", "Click **Forgot password** on the sign-in page.",
               questions=["I forgot my password", "cannot sign in"])
    (root / "docs" / "contact.md").write_text("# Contact us\n\nWrite to the support team.\n", encoding="utf-8")
    config = root / "mkdocs.yml"
    text = config.read_text(encoding="utf-8").replace("contact_url: https://example.test/contact", "contact_url: contact/")
    config.write_text(text.replace("  name: material\n", "  name: material\n  font: false  # no font server\n", 1),
                      encoding="utf-8")
    return kb


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sites]:
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("chromium and chromedriver are not installed (run `make browser-deps`)")
    base = tmp_path_factory.mktemp("signals")
    root, plain = base / "kb", base / "plain"
    _knowledge_base(root)
    shutil.copytree(root, plain)
    site_port, api_port = free_port(), free_port()
    config = root / "mkdocs.yml"
    # the theme's instant navigation, as the demo has it: pages change without a load
    # (which intercepts only the links under site_url: the address the site is served from here)
    text = config.read_text(encoding="utf-8").replace("site_url: https://help.example.test/", f"site_url: http://127.0.0.1:{site_port}/")
    config.write_text(text.replace("  font: false", "  font: false\n  features: [navigation.instant]", 1)
                      + f"      api_url: http://127.0.0.1:{api_port}/\n      api_site_origin: http://127.0.0.1:{site_port}\n",
                      encoding="utf-8")
    for folder in (root, plain):
        built = run_kbgen("build", "-d", str(folder / "site"), cwd=folder)
        assert built.code == 0, built.stderr
    with running(root, port=api_port) as service, serving(root / "site", port=site_port) as with_api, \
            serving(plain / "site") as without_api:
        yield Sites(service, with_api, without_api)


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    browser: Any = chrome(tmp_path_factory.mktemp("signals-profile"), network_log=True)
    browser.set_page_load_timeout(60)
    yield browser
    browser.quit()


def signals(sites: Sites) -> list[dict[str, Any]]:
    from kbgen.signals import read_signals

    return list(read_signals(sites.service.root / "gaps"))


def wait_for(condition: Any, seconds: float = 15) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("timed out")


def type_slowly(driver: Any, text: str, pause: float = 0.12) -> None:
    """Open the theme's search and type TEXT one key at a time, as a customer does."""
    from selenium.webdriver.common.by import By

    if not driver.find_element(By.CSS_SELECTOR, "input.md-search__input").is_displayed():
        driver.find_element(By.CSS_SELECTOR, "label[for=__search]").click()
    box = wait_for(lambda: driver.find_element(By.CSS_SELECTOR, "input.md-search__input"))
    wait_for(lambda: box.is_displayed())
    # the search initialised first: while the worker builds its index the page can stall for over
    # 1.5 s between two keys, and a first letter would settle as a search of its own
    wait_for(lambda: "initializ" not in driver.find_element(By.CSS_SELECTOR, ".md-search-result__meta").text.lower())
    if not pause:  # one command: the browser gets every key at once, no gap a stall could widen
        box.send_keys(text)
        return
    for key in text:
        box.send_keys(key)
        time.sleep(pause)


def click(driver: Any, selector: str) -> None:
    """Click the first element matching SELECTOR, finding it again if the page redrew it meanwhile.

    The search results (and kbgen's contact offer in them) are drawn again on each key's results,
    so an element found a moment ago may be gone; a customer's click lands on whatever is shown.
    """
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    def clicked() -> bool:
        try:
            found = driver.find_elements(By.CSS_SELECTOR, selector)
            if found:
                found[0].click()
                return True
        except StaleElementReferenceException:
            pass
        return False

    wait_for(clicked)


def open_widget(driver: Any, url: str, width: int) -> Any:
    """The "Was this helpful?" block of the article at URL, shown at WIDTH."""
    from selenium.webdriver.common.by import By

    driver.set_window_size(width, 900)
    driver.get(url)
    box = wait_for(lambda: driver.find_element(By.CSS_SELECTOR, ".kbgen-feedback"))
    wait_for(box.is_displayed)
    return box


@pytest.mark.parametrize("width", [1280, 390])
def test_not_helpful_with_a_reason_is_stored(driver: Any, sites: Sites, width: int) -> None:
    from selenium.webdriver.common.by import By

    box = open_widget(driver, sites.with_api + "billing/refunds/", width)
    assert box.find_element(By.TAG_NAME, "h2").text == "Was this helpful?"
    assert box.rect["x"] >= 0 and box.rect["x"] + box.rect["width"] <= width  # no sideways scrolling on a phone
    before = len(signals(sites))
    no = box.find_element(By.CSS_SELECTOR, "button[data-helpful=false]")
    no.click()
    assert no.get_attribute("aria-expanded") == "true" and no.get_attribute("aria-pressed") == "true"
    reason = box.find_element(By.CSS_SELECTOR, "textarea#kbgen-feedback-reason")
    assert reason.is_displayed() and box.find_element(By.CSS_SELECTOR, "label[for=kbgen-feedback-reason]").is_displayed()
    reason.send_keys(f"no refund button on my phone ({width}), mail ann@gmail.com")
    box.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    status = box.find_element(By.CSS_SELECTOR, "[role=status][aria-live=polite]")
    wait_for(lambda: status.text == "Thank you for your feedback.")
    stored = wait_for(lambda: signals(sites)[before:])
    assert len(stored) == 1
    assert {k: stored[0][k] for k in ("type", "slug", "helpful", "reason")} == {
        "type": "feedback", "slug": "refunds", "helpful": False, "reason": f"no refund button on my phone ({width}), mail [email]"}
    assert all(b.get_attribute("disabled") for b in box.find_elements(By.CSS_SELECTOR, ".kbgen-feedback-votes button"))


def test_an_article_reached_by_instant_navigation_asks_too_and_sends_once(driver: Any, sites: Sites) -> None:
    from selenium.webdriver.common.by import By

    driver.set_window_size(1280, 900)
    driver.get(sites.with_api + "account/")
    driver.execute_script("window.kbgenLoaded = true")
    wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, ".md-content a[href*='reset-password']"))[0].click()
    wait_for(lambda: "reset-password" in driver.current_url)
    assert driver.execute_script("return window.kbgenLoaded") is True  # no page load: the theme's instant navigation
    box = wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, ".kbgen-feedback[data-slug=reset-password]"))[0]
    wait_for(box.is_displayed)
    before = len(signals(sites))
    query = "a failed search after navigating"
    type_slowly(driver, query, pause=0)
    wait_for(lambda: any(s["query"] == query for s in signals(sites)[before:]))
    time.sleep(2.5)
    sent = [(s["query"], s["results"]) for s in signals(sites)[before:]]
    # once, not once per page the customer went through; a prefix settles on its own only if the
    # browser stalled past the settling time between two keys, as a customer's pause would
    assert (query, 0) in sent, sent
    assert [q for q, _ in sent if q == query] == [query] and all(query.startswith(q) for q, _ in sent), sent


def test_helpful_is_one_click(driver: Any, sites: Sites) -> None:
    from selenium.webdriver.common.by import By

    driver.set_window_size(1280, 900)
    driver.get(sites.with_api + "account/reset-password/")
    before = len(signals(sites))
    wait_for(lambda: driver.find_element(By.CSS_SELECTOR, ".kbgen-feedback").is_displayed())
    driver.find_element(By.CSS_SELECTOR, ".kbgen-feedback button[data-helpful=true]").click()
    stored = wait_for(lambda: signals(sites)[before:])
    assert [(s["type"], s["slug"], s["helpful"]) for s in stored] == [("feedback", "reset-password", True)]


def test_a_failed_search_typed_letter_by_letter_is_reported_once(driver: Any, sites: Sites) -> None:
    driver.set_window_size(1280, 900)
    driver.get(sites.with_api)
    before = len(signals(sites))
    type_slowly(driver, FAILED)
    time.sleep(1.0)
    assert signals(sites)[before:] == []  # not yet settled: nothing sent while typing
    stored = wait_for(lambda: signals(sites)[before:])
    time.sleep(2.5)  # and nothing more once it has settled
    stored = signals(sites)[before:]
    assert [(s["type"], s["query"], s["results"]) for s in stored] == [("search", FAILED, 0)]


def test_a_search_ended_on_contact_support_is_reported_at_once(driver: Any, sites: Sites) -> None:
    driver.set_window_size(1280, 900)
    driver.get(sites.with_api)
    before = len(signals(sites))
    type_slowly(driver, "pay with seashells", pause=0.05)
    click(driver, ".kbgen-search-contact a")  # before the query settles by time: leaving settles it
    stored = wait_for(lambda: signals(sites)[before:])
    time.sleep(2)
    assert [(s["query"], s["results"], s.get("contact")) for s in signals(sites)[before:]] == [("pay with seashells", 0, True)]
    assert stored


def test_a_search_with_results_that_ended_on_contact_support_is_sent_as_one(driver: Any, sites: Sites) -> None:
    """Results shown, none good enough: the contact click makes it a failed search, and the body says so."""
    from selenium.webdriver.common.by import By

    driver.set_window_size(1280, 900)
    driver.get(sites.with_api)
    _log(driver)  # forget what came before
    before = len(signals(sites))
    type_slowly(driver, WEAK, pause=0.05)
    wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, ".kbgen-search-contact a"))
    shown = len(driver.find_elements(By.CSS_SELECTOR, ".md-search-result__list > li.md-search-result__item"))
    assert shown > 0  # the theme showed results; kbgen's contact offer is there because they are weak
    click(driver, ".kbgen-search-contact a")
    stored = wait_for(lambda: signals(sites)[before:])
    posted = [json.loads(p["postData"]) for p in _sent(driver) if p["url"] == sites.service.url.rstrip("/") + "/v1/signals"]
    assert posted == [{"type": "search", "query": WEAK, "results": shown, "contact": True}]
    assert [(s["query"], s["results"], s["contact"]) for s in stored] == [(WEAK, shown, True)]


def test_a_found_search_or_personal_data_is_not_sent(driver: Any, sites: Sites) -> None:
    driver.set_window_size(1280, 900)
    driver.get(sites.with_api)
    before = len(signals(sites))
    type_slowly(driver, "refund", pause=0.05)
    time.sleep(2.5)
    driver.get(sites.with_api)
    type_slowly(driver, "write to ann@gmail.com", pause=0.05)
    time.sleep(2.5)
    driver.get(sites.with_api)
    type_slowly(driver, "call me on 020 7946 0958", pause=0.05)
    time.sleep(2.5)
    driver.get(sites.with_api)
    assert signals(sites)[before:] == []


def _log(driver: Any) -> list[dict[str, Any]]:
    """The requests the browser sent since the last call (Chromium's performance log)."""
    sent = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            sent.append(message["params"]["request"])
    return sent


def _sent(driver: Any, seconds: float = 5) -> list[dict[str, Any]]:
    """The POST requests with a body among the next ones logged (waiting up to SECONDS for one)."""
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + seconds
    while not found and time.monotonic() < deadline:
        found += [r for r in _log(driver) if r.get("method") == "POST" and "postData" in r]
        time.sleep(0.1)
    return found


def _requests(driver: Any) -> list[str]:
    return [request["url"] for request in _log(driver)]


def test_without_api_url_the_site_makes_no_request_but_to_itself(driver: Any, sites: Sites) -> None:
    from selenium.webdriver.common.by import By

    driver.set_window_size(1280, 900)
    _requests(driver)  # forget what earlier tests did
    driver.get(sites.without_api + "billing/refunds/")
    assert not driver.find_elements(By.CSS_SELECTOR, ".kbgen-feedback")
    assert "signals.js" not in driver.page_source
    type_slowly(driver, FAILED, pause=0.05)
    time.sleep(2.5)
    driver.get(sites.without_api)
    time.sleep(0.5)
    requested = [url for url in _requests(driver) if url.startswith(("http:", "https:", "ws:", "wss:"))]
    assert requested and all(url.startswith(sites.without_api) for url in requested), requested
    assert sites.service.url.split("//")[1] not in " ".join(requested)


@pytest.mark.parametrize("width", [1280, 390])
def test_the_widget_passes_axe_and_works_from_the_keyboard(driver: Any, sites: Sites, width: int) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    from tests.mkdocs_plugin.test_accessibility import violations

    box = open_widget(driver, sites.with_api + "billing/refunds/", width)
    no = box.find_element(By.CSS_SELECTOR, "button[data-helpful=false]")
    driver.execute_script("arguments[0].focus()", no)
    no.send_keys(Keys.ENTER)  # a button: Enter works, as Space does
    reason = box.find_element(By.TAG_NAME, "textarea")
    wait_for(lambda: driver.switch_to.active_element == reason)  # the focus goes where the customer types
    serious = [v for v in violations(driver) if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
    before = len(signals(sites))
    reason.send_keys("keyboard only", Keys.TAB)
    driver.switch_to.active_element.send_keys(Keys.ENTER)  # Send
    stored = wait_for(lambda: signals(sites)[before:])
    assert [(s["helpful"], s.get("reason")) for s in stored] == [(False, "keyboard only")]
