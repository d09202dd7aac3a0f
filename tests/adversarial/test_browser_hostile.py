"""Hostile front matter and hostile notes, rendered by headless Chromium: nothing runs, nothing
redirects, nothing is fetched from another host.

The site (with a draft made from a hostile note, edited and promoted) and the HTML report are
served from 127.0.0.1; every payload would set `window.__pwned`, open an alert, change the page's
address or load something from evil.example. Skipped, with a message, without Chromium.
"""

from __future__ import annotations

import functools
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CHROMEDRIVER, CHROMIUM, KbBuilder, chrome, run_kbgen

pytestmark = pytest.mark.browser

RUN = "window.__pwned=1"
PAYLOADS = [
    f'<img src=x onerror="{RUN}">',
    f"<script>{RUN}</script>",
    f'<svg onload="{RUN}">',
    f'"><img src=x onerror={RUN}>',
    '0;url=//evil.example/x" http-equiv="refresh',
    f"[click](javascript:{RUN})",
    '<iframe src="//evil.example/frame"></iframe>',
    f"</noscript><img src=x onerror={RUN}>",
    "{{ 7*7 }} {% raw %}",
    '<link rel=stylesheet href="//evil.example/x.css">',
]


@pytest.fixture(scope="module")
def watched_browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Chromium with its network log on, so every request it makes can be read back."""
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("chromium and chromedriver are not installed (run `make browser-deps`)")
    driver: Any = chrome(tmp_path_factory.mktemp("hostile-profile"), network_log=True)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _serve(folder: Path) -> tuple[str, http.server.ThreadingHTTPServer]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/", server


def _requested_hosts(driver: object) -> set[str]:
    from urllib.parse import urlsplit

    hosts = set()
    for entry in driver.get_log("performance"):  # type: ignore[attr-defined]
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            if url.startswith(("http:", "https:", "ws:", "wss:")):
                hosts.add(urlsplit(url).hostname or "")
    return hosts


def _assert_inert(driver: object, url: str) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    driver.get(url)  # type: ignore[attr-defined]
    driver.execute_script("return document.readyState")  # type: ignore[attr-defined]
    try:
        alert = driver.switch_to.alert  # type: ignore[attr-defined]
        text = alert.text
        alert.dismiss()
        raise AssertionError(f"an alert opened on {url}: {text}")
    except NoAlertPresentException:
        pass
    assert driver.execute_script("return window.__pwned || null") is None, url  # type: ignore[attr-defined]
    assert driver.current_url.split("#")[0] == url.split("#")[0], f"{url} redirected to {driver.current_url}"  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def hostile_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    kb = KbBuilder(tmp_path_factory.mktemp("hostile"))
    config = kb.root / "mkdocs.yml"  # as the demo and `kbgen init`: no font server, so any request is the content's
    config.write_text(config.read_text().replace("  name: material\n", "  name: material\n  font: false\n"))
    kb.write("categories.yml", json.dumps({"billing": {"title": "Bill" + PAYLOADS[0], "description": PAYLOADS[4] + PAYLOADS[1]}}))
    for number, payload in enumerate(PAYLOADS):
        kb.article(f"billing/hostile-{number}.md", title=f"Refund {number} {payload}", summary=payload,
                   questions=[f"refund question {number} {payload}"], tags=[payload[:30]], body=f"About refunds, case {number}.")
    # hostile notes, written straight into the log (as an old kbgen or a hand edit could have left them)
    shard = kb.root / "gaps" / "2026-11.jsonl"
    shard.parent.mkdir()
    lines = []
    for number, payload in enumerate(PAYLOADS * 3):
        lines.append(json.dumps({"type": "note", "id": f"H{number:03d}", "time": f"2026-11-{1 + number % 20:02d}T10:00:00Z",
                                 "question": f"can I pay by wire transfer in pounds {payload}", "answer": payload,
                                 "agent": "mallory" + payload[:20], "channel": "chat", "answered": False}))
    shard.write_text("\n".join(lines) + "\n")
    # a draft from those notes, edited and promoted, the way the redirect got published
    drafted = run_kbgen("draft", "--min-size", "2", "--json", cwd=kb.root)
    assert drafted.code == 0, drafted.stderr
    for item in json.loads(drafted.stdout)["drafts"][:1]:
        path = kb.root / item["path"]
        text = path.read_text()
        head, _, _ = text.partition("\n---\n")
        path.write_text(head + "\n---\nWe take payments by card only.\n")
        promoted = run_kbgen("promote", item["path"], cwd=kb.root)
        assert promoted.code == 0, promoted.stderr
    built = run_kbgen("build", cwd=kb.root)
    assert built.code == 0, built.stderr
    report = run_kbgen("report", "--html", "report.html", "--as-of", "2026-11-22", cwd=kb.root)
    assert report.code == 0, report.stderr
    return kb.root


def test_the_hostile_site_runs_nothing_and_fetches_nothing_foreign(watched_browser: object, hostile_project: Path) -> None:
    from selenium.webdriver.common.by import By

    base, server = _serve(hostile_project / "site")
    try:
        pages = sorted(p.relative_to(hostile_project / "site").as_posix() for p in (hostile_project / "site").rglob("index.html"))
        assert len(pages) >= len(PAYLOADS) + 2
        for page in pages:
            _assert_inert(watched_browser, base + page.removesuffix("index.html"))
        _assert_inert(watched_browser, base)  # then search, whose results show titles and text
        box = watched_browser.find_element(By.CSS_SELECTOR, "input.md-search__input")  # type: ignore[attr-defined]
        box.click()
        box.send_keys("refund")
        watched_browser.implicitly_wait(2)  # type: ignore[attr-defined]
        watched_browser.find_elements(By.CSS_SELECTOR, ".md-search-result__item")  # type: ignore[attr-defined]
        assert watched_browser.execute_script("return window.__pwned || null") is None  # type: ignore[attr-defined]
        assert _requested_hosts(watched_browser) <= {"127.0.0.1"}
    finally:
        server.shutdown()


def test_the_hostile_report_runs_nothing_and_fetches_nothing(watched_browser: object, hostile_project: Path) -> None:
    _assert_inert(watched_browser, (hostile_project / "report.html").as_uri())
    assert _requested_hosts(watched_browser) == set()
