"""Customers searching the demo site in headless Chromium: the defects of issue 12, one test each.

Skipped, with a message, when chromium or chromedriver is absent (`make browser-deps`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import served as serving

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served(demo_site: Path) -> Iterator[str]:
    """The demo site under a sub-path (/help/), as on a company's main domain."""
    root = demo_site.parent / "www"
    root.mkdir(exist_ok=True)
    if not (root / "help").exists():
        (root / "help").symlink_to(demo_site, target_is_directory=True)
    with serving(root, "help/") as url:
        yield url


@pytest.fixture
def page(browser, served: str):  # type: ignore[no-untyped-def]
    browser.set_window_size(1280, 900)
    browser.get(served)
    return browser


def results(driver, query: str) -> tuple[list[str], bool]:  # type: ignore[no-untyped-def]
    """The slugs of the result pages, best first, and whether the way to support is offered."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, 20, poll_frequency=0.05)
    if not driver.find_element(By.CSS_SELECTOR, "input.md-search__input").is_displayed():
        driver.find_element(By.CSS_SELECTOR, "label[for=__search]").click()
    box = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "input.md-search__input"))
    box.send_keys(Keys.CONTROL, "a")  # cleared as a person would: the theme listens for keys
    box.send_keys(Keys.BACKSPACE)
    meta = ".md-search-result__meta"
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, meta).text.strip() in ("", "Type to start searching"))
    box.send_keys(query)
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, meta).text.strip() not in ("", "Type to start searching", "Initializing search"))
    time.sleep(0.35)  # the contact box follows the results after 150 ms
    links = driver.find_elements(By.CSS_SELECTOR, ".md-search-result__list > li.md-search-result__item > a")
    slugs = [urlsplit(a.get_attribute("href") or "").path.rstrip("/").rsplit("/", 1)[-1] for a in links]
    return slugs, bool(driver.find_elements(By.CSS_SELECTOR, ".kbgen-search-contact a"))


@pytest.mark.parametrize(("word", "slug"), [
    ("refunds", "charged-twice-refunds"), ("invoice", "download-invoices"), ("syncing", "sync-not-working"),
    ("webhooks", "set-up-webhooks"), ("subscription", "cancel-subscription"), ("crashing", "desktop-app-wont-start"),
])
def test_a_single_everyday_word_finds_its_article_first(page, word: str, slug: str) -> None:  # type: ignore[no-untyped-def]
    slugs, _ = results(page, word)
    assert slugs and slugs[0] == slug, f"{word!r} gave {slugs[:3]}"


@pytest.mark.parametrize(("word", "slug"), [
    ("membership", "cancel-subscription"), ("2fa", "two-factor-authentication"), ("undelete", "restore-deleted-files"),
])
def test_a_word_the_help_center_never_uses_finds_the_article_through_its_synonyms(page, word: str, slug: str) -> None:  # type: ignore[no-untyped-def]
    slugs, _ = results(page, word)
    assert slugs and slugs[0] == slug, f"{word!r} gave {slugs[:3]}"


def test_function_words_do_not_decide_the_answer(page) -> None:  # type: ignore[no-untyped-def]
    slugs, _ = results(page, "do you have a linux app")
    assert slugs and slugs[0] == "install-desktop-app", slugs[:3]
    slugs, _ = results(page, "can I get my money back")
    assert slugs and slugs[0] == "charged-twice-refunds", slugs[:3]


def test_a_finished_word_is_matched_whole_not_as_a_prefix(page) -> None:  # type: ignore[no-untyped-def]
    # "sign" once the customer typed past it is the word, not the start of "signature" (webhooks)
    slugs, _ = results(page, "sign in")
    assert slugs and "sign-in" in slugs[0], slugs[:3]
    slugs, _ = results(page, "webhook signatu")  # the word being typed is still a prefix
    assert slugs and slugs[0] == "set-up-webhooks", slugs[:3]


def test_a_typo_still_finds_the_article(page) -> None:  # type: ignore[no-untyped-def]
    slugs, _ = results(page, "pasword reset")
    assert slugs and slugs[0] == "reset-password", slugs[:3]


@pytest.mark.parametrize(("query", "slug"), [("upload limt", "upload-size-limits"), ("delet my acount", "delete-account")])
def test_a_letter_left_out_is_read_as_the_word_the_help_center_uses_most(page, query: str, slug: str) -> None:  # type: ignore[no-untyped-def]
    # "limt" is one edit from "limit" and from "list": the word used more wins, not the one of
    # the same length ("acount" is "account", not "amount")
    slugs, _ = results(page, query)
    assert slugs and slugs[0] == slug, f"{query!r} gave {slugs[:3]}"


def test_a_contraction_is_a_function_word(page) -> None:  # type: ignore[no-untyped-def]
    # "won't" is "will not", two stop words; it must not match the crash article's "won't start"
    slugs, _ = results(page, "it won\u2019t let me sign in")
    assert slugs and slugs[0] == "cant-sign-in", slugs[:3]
    slugs, _ = results(page, "it won't let me sign in")
    assert slugs and slugs[0] == "cant-sign-in", slugs[:3]


def test_a_synonym_of_the_title_weighs_as_a_phrasing(page) -> None:  # type: ignore[no-untyped-def]
    # Okta is what single sign-on (the title) is to many customers; "login" alone is in many
    # articles' phrasings
    slugs, _ = results(page, "okta login")
    assert slugs and slugs[0] == "sso-sign-in", slugs[:3]


def test_a_question_no_article_answers_offers_support_not_pages_matching_one_word(page) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    slugs, contact = results(page, "refund for the external hard drive I bought from you")
    assert contact, slugs
    # what is still listed matched little of the question, and is marked so
    for score in page.find_elements(By.CSS_SELECTOR, ".md-search-result__list > li > a > article[data-md-score]"):
        assert float(score.get_attribute("data-md-score")) < 0
    slugs, contact = results(page, "how do I cancel my subscription")
    assert slugs[0] == "cancel-subscription" and not contact


def test_the_home_page_is_not_a_search_result(page) -> None:  # type: ignore[no-untyped-def]
    slugs, _ = results(page, "popular articles topic")
    assert "help" not in slugs and "" not in slugs, slugs


@pytest.mark.parametrize("width", [1280, 390])
def test_contact_after_a_failed_search_opens_the_contact_page_with_the_question(browser, served: str, width: int) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.set_window_size(width, 900)
    browser.get(served)
    question = "can I pay with bitcoin"
    slugs, contact = results(browser, question)
    assert contact, slugs
    button = browser.find_element(By.CSS_SELECTOR, ".kbgen-search-contact a")
    assert button.value_of_css_property("display") == "inline-block"  # a button, not a line of text
    href = button.get_attribute("href") or ""
    assert parse_qs(urlsplit(href).query)["question"] == [question]
    button.click()
    wait = WebDriverWait(browser, 20)
    wait.until(lambda d: "/help/contact-support/contact-us/" in d.current_url)
    carried = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, ".kbgen-carried"))
    assert question in carried.text and carried.is_displayed()
    heading = browser.find_element(By.CSS_SELECTOR, ".md-content h1")
    assert heading.is_displayed() and heading.rect["width"] > 0
    # the theme's search overlay stays closed: the customer sees the contact page
    assert not browser.find_element(By.ID, "__search").is_selected()
    assert not browser.find_element(By.CSS_SELECTOR, "input.md-search__input").is_displayed() or width > 1000


def _links(driver) -> list[str]:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    return [a.get_attribute("href") or "" for a in driver.find_elements(By.CSS_SELECTOR, ".kbgen-cards a, .kbgen-article-list a")]


def test_home_page_links_work_under_a_sub_path(browser, served: str) -> None:  # type: ignore[no-untyped-def]
    import urllib.request

    browser.get(served)
    links = _links(browser)
    assert len(links) >= 10
    for href in links:
        assert href.startswith(served), href
        with urllib.request.urlopen(href) as response:
            assert response.status == 200, href


def test_home_page_links_work_from_disk(browser, demo_site: Path) -> None:  # type: ignore[no-untyped-def]
    browser.get((demo_site / "index.html").as_uri())
    links = _links(browser)
    assert len(links) >= 10
    for href in links:
        assert href.startswith(demo_site.as_uri() + "/"), href
        target = Path(urlsplit(href).path)
        assert (target / "index.html").is_file() or target.is_file(), href


@pytest.mark.parametrize("width", [1280, 390])
def test_the_home_page_search_box_hands_over_to_the_site_search(browser, served: str, width: int) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.set_window_size(width, 900)
    browser.get(served)
    field = browser.find_element(By.ID, "kbgen-hero-q")
    assert field.is_displayed() and field.rect["width"] > width * 0.5
    field.send_keys("refunds")
    wait = WebDriverWait(browser, 20)
    box = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "input.md-search__input"))
    wait.until(lambda d: box.is_displayed() and box.get_attribute("value") == "refunds")  # no key lost
    first = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, ".md-search-result__list > li.md-search-result__item > a"))
    assert "charged-twice-refunds" in first.get_attribute("href")
