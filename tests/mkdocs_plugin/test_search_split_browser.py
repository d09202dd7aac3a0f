"""Customers searching the demo with its search index split by term (`search_split_kb: 0`), in
headless Chromium: a query fetches only the pieces of its words and of its best results, and
finds what the whole index finds (phrasings, synonyms, typos, the way to support).

Skipped, with a message, when chromium or chromedriver is absent (`make browser-deps`).
"""

from __future__ import annotations

import functools
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import copy_demo, run_kbgen
from tests.conftest import served as serving
from tests.mkdocs_plugin.test_search_browser import results

pytestmark = pytest.mark.browser

# customers' words of every kind (single words, phrases, questions, synonyms, typos) and
# questions no article answers
QUERIES = [
    "refunds", "invoice", "syncing", "webhooks", "subscription", "crashing", "membership", "2fa", "undelete",
    "do you have a linux app", "can I get my money back", "sign in", "how do I share a folder with my team",
    "my files are not syncing on my laptop", "pasword reset", "refnd", "delet my acount", "recycle bin",
    "can I pay with bitcoin", "do you sell printers", "what is the weather tomorrow",
]


@pytest.fixture(scope="module")
def split_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_demo(tmp_path_factory.mktemp("split"), ("kb", "docs"))
    config = root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("  - kbgen:\n", "  - kbgen:\n      search_split_kb: 0\n", 1),
                      encoding="utf-8")
    result = run_kbgen("build", "-d", str(root / "site"), cwd=root)
    assert result.code == 0, result.stderr
    return root / "site"


class _Recording(http.server.SimpleHTTPRequestHandler):
    asked: list[str] = []

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        type(self).asked.append(urlsplit(self.path).path)
        super().do_GET()


@pytest.fixture(scope="module")
def recorded(split_site: Path) -> Iterator[tuple[str, list[str]]]:
    """The split site under a sub-path (/help/), and the paths the browser asked for."""
    root = split_site.parent / "www"
    root.mkdir(exist_ok=True)
    (root / "help").symlink_to(split_site, target_is_directory=True)
    asked: list[str] = []
    handler = type("Handler", (_Recording,), {"asked": asked})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/help/", asked
    finally:
        server.shutdown()


def _manifest(site: Path) -> dict:
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert index["docs"] == []  # the theme's index file keeps only the manifest
    return index["config"]["kbgen"]


def _pieces_for(manifest: dict, prefix: str, exact: bool = False) -> set[int]:
    """The term pieces that hold every term beginning with PREFIX, or PREFIX alone if EXACT (as
    the worker picks them)."""
    bounds = manifest["bounds"]

    def piece(term: str) -> int:
        return max([i for i, first in enumerate(bounds) if first <= term] or [0])

    return set(range(piece(prefix), piece(prefix if exact else prefix + "\uffff") + 1))


def test_a_query_fetches_only_the_pieces_of_its_words_and_of_its_best_results(browser, split_site: Path, recorded) -> None:  # type: ignore[no-untyped-def]
    url, asked = recorded
    manifest = _manifest(split_site)
    browser.execute_cdp_cmd("Network.clearBrowserCache", {})
    browser.set_window_size(1280, 900)
    browser.get(url)
    asked.clear()
    slugs, contact = results(browser, "refunds")
    assert slugs[:1] == ["charged-twice-refunds"] and not contact
    pieces = [path.split("/help/search/", 1)[1] for path in asked if path.startswith("/help/search/")]
    terms = {int(p.split("/")[1].split(".")[0]) for p in pieces if p.startswith("terms/")}
    docs = {p for p in pieces if p.startswith("docs/")}
    # typed letter by letter: "r" and "re" are matched whole (their own pieces), then "ref",
    # "refu", ... as prefixes (the pieces of the terms they begin)
    expected = _pieces_for(manifest, "r", exact=True) | _pieces_for(manifest, "re", exact=True) | _pieces_for(manifest, "ref")
    assert terms and terms <= expected, pieces
    assert len(terms) < len(manifest["bounds"])
    assert not [p for p in pieces if p.startswith("words/")]  # no typo, no word lists
    assert docs and len(docs) <= len(list((split_site / "search" / "docs").glob("*.json")))
    assert not [p for p in pieces if not p.startswith(("terms/", "docs/", "search_index.json"))], pieces


def test_a_typo_fetches_the_word_lists_of_its_first_letters(browser, recorded) -> None:  # type: ignore[no-untyped-def]
    url, asked = recorded
    browser.get(url)
    asked.clear()
    slugs, _ = results(browser, "refnds ")
    assert slugs[:1] == ["charged-twice-refunds"]
    words = sorted(path.rsplit("/", 1)[1] for path in asked if "/search/words/" in path)
    r, e = f"{ord('r'):x}", f"{ord('e'):x}"
    assert words == sorted([f"1-{r}.json", f"1-{e}.json", f"2-{r}.json", f"2-{e}.json"])


def test_the_split_index_answers_as_the_whole_one(browser, demo_site: Path, split_site: Path) -> None:  # type: ignore[no-untyped-def]
    found: dict[str, list[tuple[list[str], bool]]] = {}
    for name, site in (("whole", demo_site), ("split", split_site)):
        with serving(site) as url:
            browser.get(url)
            found[name] = [results(browser, query) for query in QUERIES]
    differ = [(q, w, s) for q, w, s in zip(QUERIES, found["whole"], found["split"]) if (w[0][:3], w[1]) != (s[0][:3], s[1])]
    assert not differ, differ
    assert found["split"][QUERIES.index("membership")][0][:1] == ["cancel-subscription"]  # synonyms
    assert found["split"][QUERIES.index("do you sell printers")][1]  # the way to support


def test_customers_phrasings_count_in_a_split_index(browser, split_site: Path, recorded) -> None:  # type: ignore[no-untyped-def]
    """"recycle bin" is only in the phrasings of the article on restoring deleted files."""
    manifest = _manifest(split_site)
    fields = [name for name, _ in manifest["fields"]]
    postings = {}
    for path in (split_site / "search" / "terms").glob("*.json"):
        postings.update(json.loads(path.read_text(encoding="utf-8")))
    for term in ("recycl", "bin"):
        by_field = dict(zip(fields, postings[term][2:]))
        assert by_field["questions"] and not any(v for k, v in by_field.items() if k != "questions"), term
    url, _ = recorded
    browser.get(url)
    slugs, _ = results(browser, "recycle bin")
    assert slugs[:1] == ["restore-deleted-files"]


def test_the_way_to_support_after_a_failed_search_on_a_split_site(browser, recorded) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    url, _ = recorded
    browser.get(url)
    slugs, contact = results(browser, "can I pay with bitcoin")
    assert contact, slugs
    link = browser.find_element(By.CSS_SELECTOR, ".kbgen-search-contact a").get_attribute("href")
    assert link.startswith(url + "contact-support/contact-us/?question=can%20I%20pay%20with%20bitcoin")
