"""Shared fixtures: a temporary knowledge base, the real CLI in a subprocess, the demo project."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
CLINC = ROOT.parent / "shared" / "data" / "clinc150"

MKDOCS_YML = r"""site_name: Test Help
site_url: https://help.example.test/
theme:
  name: material
plugins:
  - search:
      pipeline: [stemmer, stopWordFilter, trimmer]
      separator: '[\s\-,:;!?=\[\]()"/]+|\.(?!\d)|&[lg]t;'
  - kbgen:
      contact_url: https://example.test/contact
      style: false  # the writing-style rules have their own cases (tests/check_cases/style-*)
"""


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


def run_kbgen(*args: str, cwd: Path, stdin: str | None = None, env: dict[str, str] | None = None) -> Result:
    """Run the real `kbgen` command line in a subprocess, as a user or CI would."""
    done = subprocess.run(
        [sys.executable, "-m", "kbgen", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "120", **(env or {})},
        timeout=600,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def assert_clean_failure(result: Result) -> None:
    """Exit status 1, an error on stderr, and never a traceback."""
    assert result.code == 1, (result.code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.strip()


class KbBuilder:
    """Writes a small knowledge base under a temporary folder, one file at a time."""

    def __init__(self, root: Path):
        self.root = root
        (root / "kb").mkdir(parents=True, exist_ok=True)
        (root / "docs").mkdir(exist_ok=True)
        (root / "docs" / "index.md").write_text("# Help\n\n<!-- kbgen:categories -->\n", encoding="utf-8")
        (root / "mkdocs.yml").write_text(MKDOCS_YML, encoding="utf-8")

    def write(self, rel: str, text: str | bytes) -> Path:
        path = self.root / "kb" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    def article(self, rel: str, title: str = "A title", body: str = "Some helpful text.", **meta: object) -> Path:
        import yaml

        data = {"title": title, **meta}
        fm = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        return self.write(rel, f"---\n{fm}---\n{body}\n")


@pytest.fixture
def kb(tmp_path: Path) -> KbBuilder:
    return KbBuilder(tmp_path)


@pytest.fixture(scope="session")
def demo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("chromium and chromedriver are not installed (run `make browser-deps`)")
    driver = chrome(tmp_path_factory.mktemp("chromium-profile"))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def served(folder: Path, path: str = "", port: int = 0) -> Iterator[str]:
    """FOLDER served over HTTP on PORT (default: a free one), as a static host would; the address of PATH."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(_QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{path}"
    finally:
        server.shutdown()


def chrome(profile: Path, network_log: bool = False) -> object:
    """Headless Debian Chromium with its own empty profile; NETWORK_LOG keeps every request it makes."""
    if not (CHROMIUM and CHROMEDRIVER):  # one place, whichever fixture asks first
        pytest.skip("chromium and chromedriver are not installed (run `make browser-deps`)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--window-size=1280,900", f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    if network_log:
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def copy_demo(target: Path, parts: tuple[str, ...] = ("kb", "gaps", "docs")) -> Path:
    """A copy of the demo project (kb/, gaps/, docs/, mkdocs.yml) that a test may change, with the
    search index and article vectors already built (copies keep file times, so they stay valid)."""
    for name in parts:
        shutil.copytree(ROOT / name, target / name)
    shutil.copy(ROOT / "mkdocs.yml", target / "mkdocs.yml")
    warm = _warm_demo_cache()
    if warm is not None and "kb" in parts:
        shutil.copytree(warm, target / ".kbgen-cache")
    return target


_WARM: list[Path | None] = []


def _warm_demo_cache() -> Path | None:
    """The demo's index and article vectors, built once a test session (encoding the articles is
    the slow part of a first `kbgen ask`, and most tests copy the demo)."""
    if not _WARM:
        import atexit
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="kbgen-warm-"))
        atexit.register(shutil.rmtree, folder, True)
        demo = folder / "demo"
        shutil.copytree(ROOT / "kb", demo / "kb")
        shutil.copy(ROOT / "mkdocs.yml", demo / "mkdocs.yml")
        done = run_kbgen("ask", "warm up", cwd=demo)
        cache = demo / ".kbgen-cache"
        for name in ("settings.json", "matches.json", "gap-ids.json"):
            (cache / name).unlink(missing_ok=True)
        _WARM.append(cache if done.code == 0 else None)
    return _WARM[0]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server for this test session (Debian's packages; skipped where they are missing)."""
    from tests.postgres import Unavailable, server

    try:
        with server() as url:
            yield url
    except Unavailable as exc:
        pytest.skip(f"no PostgreSQL: {exc}")


@pytest.fixture
def postgres_url(postgres_server: str, request: pytest.FixtureRequest) -> str:
    """A URL for a new, empty schema of the session's server: KBGEN_STORE for one test."""
    import re

    from tests.postgres import fresh_schema

    return fresh_schema(postgres_server, "t_" + re.sub(r"\W", "_", request.node.name)[:50].lower())
