"""A customer in a real browser: headless Chromium (Debian's) searches the demo site.

Skipped, with a message, when chromium or chromedriver is absent (`make browser-deps`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from kbgen.kb import KnowledgeBase
from tests.conftest import served

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site_url(demo_site: Path) -> Iterator[str]:
    with served(demo_site) as url:
        yield url


def search(driver, query: str):  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, 20)
    box = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "input.md-search__input")))
    box.click()
    box.clear()
    box.send_keys(query)
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, ".md-search-result__meta").text.strip() not in ("", "Initializing search", "Type to start searching"))
    return wait


def test_customer_finds_an_article_in_their_own_words(browser, site_url: str, demo_kb: KnowledgeBase) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    article = demo_kb.by_slug()["charged-twice-refunds"]
    phrasing = article.questions[0]
    browser.get(site_url)
    wait = search(browser, phrasing)
    wait.until(lambda d: any(article.title in r.text for r in d.find_elements(By.CSS_SELECTOR, ".md-search-result__item")))
    first = browser.find_elements(By.CSS_SELECTOR, ".md-search-result__item")[0]
    assert article.title in first.text, f"top result for {phrasing!r} was {first.text!r}"
    first.find_element(By.CSS_SELECTOR, "a").click()
    wait.until(lambda d: d.find_element(By.TAG_NAME, "h1").text.startswith(article.title))
    assert f"/{article.category}/{article.slug}/" in browser.current_url


def test_draft_is_not_found_and_the_customer_is_offered_support(browser, site_url: str, demo_kb: KnowledgeBase) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    draft = next(a for a in demo_kb.articles if a.status == "draft")
    browser.get(site_url)
    wait = search(browser, draft.title)
    # Words of the draft's title may match other articles; the draft itself must not be there.
    results = browser.find_elements(By.CSS_SELECTOR, ".md-search-result__item")
    assert all(draft.title not in r.text for r in results)
    assert all(f"/{draft.slug}/" not in (a.get_attribute("href") or "") for a in browser.find_elements(By.CSS_SELECTOR, ".md-search-result a"))

    nonsense = "zzxqv flurbington"
    search(browser, nonsense)
    box = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f'.kbgen-search-contact[data-query$="{nonsense}"]'))
    link = box.find_element(By.CSS_SELECTOR, "a")
    href = link.get_attribute("href")
    assert urlsplit(href).path.endswith("/contact-support/contact-us/")
    assert parse_qs(urlsplit(href).query)["question"] == [nonsense]
