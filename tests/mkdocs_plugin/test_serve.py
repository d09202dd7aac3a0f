"""`kbgen serve`, the real command in a subprocess on a free port: saves reach the served pages."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from tests.conftest import KbBuilder, run_kbgen

WAIT = 90  # seconds: the first build of a small site takes a few, a save well under one


@dataclass
class Server:
    """A running `kbgen serve` and what it wrote to stderr so far."""

    process: subprocess.Popen[str]
    port: int
    lines: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def fetch(self, path: str) -> str:
        with urllib.request.urlopen(self.url(path), timeout=30) as response:
            return response.read().decode()

    def status(self, path: str) -> int:
        try:
            with urllib.request.urlopen(self.url(path), timeout=30) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return exc.code

    def not_found_page(self) -> str:
        try:
            self.fetch("no-such-page/")
        except urllib.error.HTTPError as exc:
            return exc.read().decode()
        raise AssertionError("a missing page was found")

    def wait_for(self, path: str, text: str, present: bool = True) -> str:
        """PATH's page once it holds TEXT (or, with PRESENT false, once it no longer does)."""
        deadline = time.monotonic() + WAIT
        page = ""
        while time.monotonic() < deadline:
            try:
                page = self.fetch(path)
                if (text in page) == present:
                    return page
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"{path} never {'showed' if present else 'lost'} {text!r}; stderr:\n" + "".join(self.lines))

    def wait_for_message(self, text: str) -> str:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            found = [line for line in self.lines if text in line]
            if found:
                return found[0]
            time.sleep(0.2)
        raise AssertionError(f"kbgen serve never said {text!r}; it said:\n" + "".join(self.lines))


@contextmanager
def serving(root: Path) -> Iterator[Server]:
    """`kbgen serve` in ROOT on a free local port, stopped afterwards."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "kbgen", "serve", "-a", f"127.0.0.1:{port}"], cwd=root,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               env={**__import__("os").environ, "NO_COLOR": "1", "COLUMNS": "200"})
    server = Server(process, port)
    reader = threading.Thread(target=lambda: server.lines.extend(iter(process.stderr.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        yield server
    finally:
        process.terminate()
        process.wait(timeout=30)


def small_kb(kb: KbBuilder) -> None:
    kb.article("basics/hello.md", "How do I say hello?", summary="Wave.", questions=["greeting"], tags=["manners"])
    kb.article("basics/bye.md", "How do I say goodbye?", summary="Wave again.", questions=["farewell"], tags=["manners"])
    kb.article("other/thanks.md", "How do I thank someone?", summary="Smile.", questions=["gratitude"], tags=["manners"])


def search_titles(server: Server) -> list[str]:
    return [d["title"] for d in json.loads(server.fetch("search/search_index.json"))["docs"]]


def test_serve_previews_and_rebuilds_when_an_article_changes(kb: KbBuilder) -> None:
    kb.article("basics/hello.md", "How do I say hello?", summary="Wave.", questions=["greeting"])
    with serving(kb.root) as server:
        server.wait_for("basics/hello/", "How do I say hello?")
        kb.article("basics/hello.md", "How do I say hello?", body="Wave with the right hand.", summary="Wave.")
        server.wait_for("basics/hello/", "Wave with the right hand.")
        assert "Rendered 1 page(s) again" in server.wait_for_message("again in")


def test_serve_says_where_it_serves_and_names_the_themes_end_of_life(kb: KbBuilder) -> None:
    kb.article("basics/hello.md", "How do I say hello?", summary="Wave.", questions=["greeting"])
    with serving(kb.root) as server:
        first = server.wait_for_message("Serving the help site")
        assert f"http://127.0.0.1:{server.port}/" in first
        assert "end of life on 5 May 2027" in server.wait_for_message("end of life")


def test_a_stopped_preview_leaves_no_temporary_site(kb: KbBuilder) -> None:
    import tempfile

    kb.article("basics/hello.md", "How do I say hello?", summary="Wave.", questions=["greeting"])
    before = set(Path(tempfile.gettempdir()).glob("kbgen-serve-*"))
    with serving(kb.root) as server:
        server.wait_for("basics/hello/", "How do I say hello?")
        assert set(Path(tempfile.gettempdir()).glob("kbgen-serve-*")) - before
    assert server.process.returncode is not None
    assert not set(Path(tempfile.gettempdir()).glob("kbgen-serve-*")) - before


def test_a_new_title_reaches_every_page_that_lists_the_article(kb: KbBuilder) -> None:
    small_kb(kb)
    with serving(kb.root) as server:
        server.wait_for("basics/hello/", "How do I say hello?")
        kb.article("basics/hello.md", "Greeting customers politely", summary="Wave.", questions=["greeting"], tags=["manners"])
        server.wait_for("basics/hello/", "Greeting customers politely")
        for page in ("basics/", "tags/", "basics/bye/"):  # its category, the tags page, an article beside it
            html = server.fetch(page)
            assert "Greeting customers politely" in html and escape("How do I say hello?") not in html, page
        titles = search_titles(server)
        assert "Greeting customers politely" in titles and "How do I say hello?" not in titles
        # the served page is the page a whole build makes
        assert run_kbgen("build", cwd=kb.root).code == 0
        for page in ("basics/hello/", "basics/"):
            built = (kb.root / "site" / page / "index.html").read_text()
            assert _comparable(server.fetch(page), server) == _comparable(built, server), page
        built_index = json.loads((kb.root / "site" / "search" / "search_index.json").read_text())
        served_index = json.loads(server.fetch("search/search_index.json"))
        assert sorted(map(json.dumps, served_index["docs"])) == sorted(map(json.dumps, built_index["docs"]))


def _comparable(html: str, server: Server) -> str:
    """HTML without what serving adds (the reload script) and with the served address as the site's."""
    html = re.sub(r"<script>[^<]*livereload\(\d+, \d+\);\s*</script>(?=</body>)", "", html)
    return html.replace(f"http://127.0.0.1:{server.port}/", "https://help.example.test/")


def test_an_added_article_appears_and_a_deleted_one_goes(kb: KbBuilder) -> None:
    small_kb(kb)
    with serving(kb.root) as server:
        server.wait_for("basics/hello/", "How do I say hello?")
        kb.article("basics/wave.md", "How do I wave?", summary="Raise a hand.", questions=["waving"], tags=["manners"])
        server.wait_for("basics/wave/", "How do I wave?")
        assert "How do I wave?" in server.fetch("basics/") and "How do I wave?" in search_titles(server)
        assert "basics/wave/" in server.fetch("sitemap.xml")
        assert "3 articles" in server.fetch("") and "3 articles" in server.not_found_page()  # the category's count

        (kb.root / "kb" / "basics" / "bye.md").unlink()
        server.wait_for("basics/", "How do I say goodbye?", present=False)
        assert server.status("basics/bye/") == 404
        assert "How do I say goodbye?" not in search_titles(server)
        assert "basics/bye/" not in server.fetch("sitemap.xml")
        assert "How do I say goodbye?" not in server.fetch("basics/hello/")  # nor beside the others
        assert "2 articles" in server.fetch("") and "2 articles" in server.not_found_page()


def test_a_broken_article_is_reported_and_the_last_good_site_stays_served(kb: KbBuilder) -> None:
    small_kb(kb)
    with serving(kb.root) as server:
        server.wait_for("basics/hello/", "How do I say hello?")
        kb.write("basics/hello.md", "---\ntitle: How do I say hello?\nstatus: nope\n---\nBroken now.\n")
        message = server.wait_for_message("kb/basics/hello.md:3")
        assert "status" in message
        server.wait_for_message("still serving the last good version")
        assert server.process.poll() is None
        page = server.fetch("basics/hello/")
        assert "How do I say hello?" in page and "Broken now." not in page

        kb.article("basics/hello.md", "How do I say hello?", body="Fixed again.", summary="Wave.", tags=["manners"])
        server.wait_for("basics/hello/", "Fixed again.")


def test_a_change_in_docs_builds_the_whole_site(kb: KbBuilder) -> None:
    small_kb(kb)
    with serving(kb.root) as server:
        server.wait_for("basics/hello/", "How do I say hello?")
        (kb.root / "docs" / "index.md").write_text("# Welcome, friends\n\n<!-- kbgen:categories -->\n", encoding="utf-8")
        server.wait_for("", "Welcome, friends")
        server.wait_for_message("Built the whole site again")
        assert "How do I say hello?" in server.fetch("basics/hello/")
        kb.article("basics/hello.md", "How do I say hello warmly?", summary="Wave.", tags=["manners"])
        server.wait_for("basics/", "How do I say hello warmly?")  # saves after a whole build render pages again
        assert "How do I say hello warmly?" in search_titles(server)
        server.wait_for_message("Rendered")
