"""`kbgen serve`: a live preview that renders again only the pages a save changes.

mkdocs' own `serve` builds the whole site after every save, and its dirty mode still runs every
plugin event and the navigation over every page (about 25 s a save at 10,000 articles). Here the
first build is a whole mkdocs build whose files, navigation and templates are kept; after a save
of articles under kb/, the core says which pages show what changed (`SiteModel.updated`), only
those go through mkdocs' own page steps again, and the search index is written again from its
per-page pieces. Anything else (docs/, mkdocs.yml, kb/categories.yml, a category or the tags
page coming or going, another plugin in mkdocs.yml) builds the whole site again, beside the one
being served, which is swapped in only when whole.

A save that leaves the knowledge base with errors is reported (file, line) and the last good
site stays served; the saved files are tried again at the next save.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mkdocs.plugins import BasePlugin, event_priority

from kbgen.check import check, check_files, kb_signature
from kbgen.errors import Diagnostic
from kbgen.project import Project
from kbgen.site import TAGS_PAGE

from .plugin import KbgenPlugin, _search_plugin

log = logging.getLogger("mkdocs.plugins.kbgen")

# plugins whose every event kbgen knows: with any other in mkdocs.yml, a save builds the whole site
KNOWN_PLUGINS = frozenset({"search", "material/search", "kbgen", "kbgen-live", "kbgen-progress"})
MAX_SAVED_FILES = 200  # more articles saved at once (a git checkout): one whole build is quicker


class _Capture(BasePlugin):  # type: ignore[type-arg]
    """Keeps what a whole build made, for the pages rendered again after a save."""

    files: Any = None
    nav: Any = None
    env: Any = None
    pages: Any = None  # the documentation pages among the files, once asked for

    @event_priority(-100)
    def on_nav(self, nav: Any, *, config: Any, files: Any) -> Any:
        self.nav, self.files = nav, files
        return nav

    @event_priority(-100)
    def on_env(self, env: Any, *, config: Any, files: Any) -> Any:
        self.env = env
        return env


@dataclass
class _Built:
    """The site being served: its folder, and mkdocs' state from building it."""

    folder: Path
    config: Any
    capture: _Capture
    plugin: KbgenPlugin
    partial: bool  # True: a save must build the whole site (an unknown plugin is listed)


class LivePreview:
    """Builds the site into a temporary folder, serves it, and keeps it current as files are saved."""

    def __init__(self, project: Project, dev_addr: str, report: Callable[[str], None]) -> None:
        self.project = project
        self.config_file = str(project.config_file)
        self.dev_addr = dev_addr
        self.report = report  # a line for the editor, on stderr
        self.root = Path(tempfile.mkdtemp(prefix="kbgen-serve-"))
        self.link = self.root / "site"  # what the server serves: a link to the current build
        self.builds = 0
        self.built: _Built | None = None
        self.stamps: dict[str, tuple[int, int]] = {}
        self.pending: set[str] = set()  # saved article files not yet in the site (they had errors)
        self.whole = False  # a whole build is owed (the last one failed)
        self.serve_url = ""

    # --- serving ------------------------------------------------------------------------------

    def serve(self, open_in_browser: bool = False) -> None:
        import signal

        from mkdocs.config import load_config
        from mkdocs.livereload import LiveReloadServer, _serve_url

        def stop(signum: int, frame: Any) -> None:
            raise KeyboardInterrupt  # a terminated preview removes its temporary site too

        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, stop)
        try:
            config = load_config(config_file=self.config_file, site_dir=str(self.root / "probe"), dev_addr=self.dev_addr)
            host, port = config.dev_addr
            mount_path = urlsplit(config.site_url or "/").path
            self.serve_url = _serve_url(host, port, mount_path)
            self.stamps = self._stamps()
            if not self._build_all():
                raise SystemExit(1)
            server = LiveReloadServer(builder=self.rebuild, host=host, port=port, root=str(self.link),
                                      mount_path=mount_path)

            def error_page(code: int) -> bytes | None:
                page = self.link / f"{code}.html"
                return page.read_bytes() if code in (404, 500) and page.is_file() else None

            server.error_handler = error_page
            for path in self._watched():
                server.watch(str(path))
            try:
                server.serve(open_in_browser=open_in_browser)
            except KeyboardInterrupt:
                log.info("Shutting down...")
            finally:
                server.shutdown()
        finally:
            if self.built is not None:
                self.built.config.plugins.on_shutdown()
            shutil.rmtree(self.root, ignore_errors=True)

    def _watched(self) -> list[Path]:
        return [self.project.kb_dir, self.project.docs_dir, self.project.config_file]

    def _stamps(self) -> dict[str, tuple[int, int]]:
        """(mtime, size) of every file the site is made from."""
        found: dict[str, tuple[int, int]] = {}
        for folder in (self.project.kb_dir, self.project.docs_dir):
            found.update((path, (mtime, size)) for path, mtime, size in kb_signature(folder))
        try:
            info = self.project.config_file.stat()
            found[str(self.project.config_file)] = (info.st_mtime_ns, info.st_size)
        except OSError:
            pass
        return found

    def rebuild(self) -> None:
        """After a save: render again what it changed, or build the whole site; never raises,
        so the server keeps serving the last good site whatever happened."""
        started = time.monotonic()
        try:
            stamps = self._stamps()
            changed = {p for p in stamps.keys() | self.stamps.keys() if stamps.get(p) != self.stamps.get(p)}
            self.stamps = stamps
            articles, other = self._sort(changed)
            self.pending |= articles
            self.whole = self.whole or bool(other)
            if not self.whole and not self.pending:
                return
            built = self.built
            if self.whole or built is None or built.partial or len(self.pending) > MAX_SAVED_FILES:
                if self._build_all():
                    log.info(f"Built the whole site again in {time.monotonic() - started:.1f} s")
                return
            done = self._refresh(built, self.pending)
            if done is None:
                if self._build_all():
                    log.info(f"Built the whole site again in {time.monotonic() - started:.1f} s")
            elif done:
                log.info(f"Rendered {done} page(s) again in {time.monotonic() - started:.2f} s")
        except Exception as exc:  # a bug or a theme error: say so, keep the last good site
            self.built = None  # the next save builds the whole site
            self.report(f"the preview could not be updated ({type(exc).__name__}: {exc}); still serving the last "
                        "good version; the next save builds the whole site")

    def _sort(self, changed: set[str]) -> tuple[set[str], set[str]]:
        """CHANGED files as (article files, project-relative; other files that shape the site)."""
        kb_dir = str(self.project.kb_dir) + os.sep
        articles: set[str] = set()
        other: set[str] = set()
        for path in changed:
            parts = Path(path).parts
            if any(part.startswith(".") or part.endswith("~") for part in parts[-2:]):
                continue  # editors' swap and backup files
            if path.startswith(kb_dir):
                inside = Path(path[len(kb_dir):]).parts
                if len(inside) == 2 and inside[1].endswith(".md"):
                    articles.add(self.project.relpath(Path(path)))
                elif len(inside) == 1 or inside[-1].endswith(".md"):
                    other.add(path)  # categories.yml, or an article in the wrong place
                continue
            other.add(path)
        return articles, other

    def _say_problems(self, diagnostics: list[Diagnostic]) -> None:
        for diagnostic in diagnostics:
            self.report(str(diagnostic))

    # --- a whole build ------------------------------------------------------------------------

    def _build_all(self) -> bool:
        """Check, then build the whole site into a new folder and serve it; False (the last good
        site still served) when the knowledge base has errors or the build fails."""
        from mkdocs.commands.build import build
        from mkdocs.config import load_config

        project = Project.find(self.project.root)
        result = check(project)
        if result.errors:
            self._say_problems(result.errors)
            self.report(f"not updating the preview: the knowledge base has {len(result.errors)} error(s); fix them "
                        "and save again" + ("; still serving the last good version" if self.built else ""))
            return False
        self.builds += 1
        folder = self.root / f"build-{self.builds}"
        try:
            config = load_config(config_file=self.config_file, site_dir=str(folder), dev_addr=self.dev_addr)
            config.site_url = self.serve_url
            capture = _Capture()
            config.plugins["kbgen-live"] = capture
            config.plugins.on_startup(command="serve", dirty=False)
            if isinstance(config.plugins.get("kbgen"), KbgenPlugin):
                config.plugins["kbgen"].live = True
            build(config, serve_url=self.serve_url)
        except (Exception, SystemExit) as exc:
            shutil.rmtree(folder, ignore_errors=True)
            self.report(f"the site could not be built: {exc}"
                        + ("; still serving the last good version" if self.built else ""))
            return False
        plugin = config.plugins.get("kbgen")
        fast = isinstance(plugin, KbgenPlugin) and set(config.plugins) <= KNOWN_PLUGINS
        search = _search_plugin(config)
        fast = fast and (search is None or isinstance(getattr(getattr(search, "search_index", None), "entries", None), list))
        next_link = self.root / "site.next"
        next_link.unlink(missing_ok=True)
        next_link.symlink_to(folder, target_is_directory=True)
        os.replace(next_link, self.link)
        if self.built is not None:
            shutil.rmtree(self.built.folder, ignore_errors=True)
        if not fast and (self.built is None or not self.built.partial):
            log.info("mkdocs.yml lists a plugin kbgen serve does not know: every save builds the whole site")
        self.built = _Built(folder, config, capture, plugin, partial=not fast)  # type: ignore[arg-type]
        self.project = project
        self.pending = set()
        self.whole = False
        return True

    # --- a save of articles -------------------------------------------------------------------

    def _refresh(self, built: _Built, rels: set[str]) -> int | None:
        """Render again the pages that the saved article files RELS change: the number of pages,
        0 when the knowledge base has errors (reported), None when the whole site must be built."""
        plugin = built.plugin
        assert plugin.site is not None and plugin.project is not None
        result = check_files(plugin.project, rels)
        self._say_problems(result.diagnostics)
        if result.errors:
            self.report(f"not updating the preview: {len(result.errors)} error(s) in what was saved; fix them and save "
                        "again; still serving the last good version")
            return 0
        site, changes = plugin.site.updated(result.kb)
        self.pending = set()
        if changes.navigation:
            return None
        if not plugin.adopt(site):
            return None
        self.built = None  # until every page is written: a failure midway builds the whole site next time
        pages = _render(built, changes)
        self.built = built
        return pages


def _render(built: _Built, changes: Any) -> int:
    """Write the pages CHANGES names through mkdocs' own page steps, the sitemap when pages came
    or went, and the search index; the number of pages written."""
    from mkdocs.commands.build import _build_page, _build_theme_template, _populate_page
    from mkdocs.structure.files import File
    from mkdocs.structure.pages import Page

    config, files, nav, env, plugin = built.config, built.capture.files, built.capture.nav, built.capture.env, built.plugin
    site = plugin.site
    assert site is not None
    search = _search_plugin(config)
    entries: list[Any] = search.search_index.entries if search is not None else []
    start = len(entries)
    removed: list[str] = []
    for uri in changes.removed:
        file = files.get_file_from_path(uri)
        if file is not None:
            files.remove(file)
            removed.append(file.url)
            _delete_page(Path(file.abs_dest_path), Path(config.site_dir))
    by_src = {a.src_uri: a for a in site.articles}
    for uri in changes.added:
        file = File.generated(config, uri, abs_src_path=str(by_src[uri].path))
        files.append(file)
        Page(None, file, config)
    pages = [files.get_file_from_path(uri).page for uri in changes.articles]
    listings = sorted(changes.categories) + ([TAGS_PAGE] if changes.listings else [])
    for name in listings:
        file = files.get_file_from_path(f"{name}/index.md")
        if file is not None and file.generated_by and (name == TAGS_PAGE or site.category(name) is not None):
            file.content_string = plugin.listing_markdown(name)
            pages.append(file.page)
    if changes.listings:
        home = files.get_file_from_path("index.md")
        if home is not None and home.page is not None:
            pages.append(home.page)
    if changes.added or changes.removed or built.capture.pages is None:
        built.capture.pages = files.documentation_pages()
    doc_files = built.capture.pages
    for page in pages:
        _populate_page(page, config, files)
    for page in pages:
        _build_page(page, config, doc_files, nav, env)
    if changes.added or changes.removed:  # the sitemap, and the not-found page's article counts
        plugin.on_env(env, config, files)
        for template in ("sitemap.xml", "404.html"):
            if template in config.theme.static_templates:
                _build_theme_template(template, env, files, config, nav)
    fresh = entries[start:]
    del entries[start:]
    if search is not None:
        plugin.update_search(config, [page.url for page in pages], fresh, removed)
    return len(pages)


def _delete_page(page: Path, site_dir: Path) -> None:
    """Remove a page's index.html and the folders it leaves empty, up to the site folder."""
    page.unlink(missing_ok=True)
    folder = page.parent
    while folder != site_dir and site_dir in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            break
        folder = folder.parent
