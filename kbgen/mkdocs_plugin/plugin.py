"""The mkdocs event hooks. Each hook only routes to the core (check, SiteModel) or to mkdocs.

- on_config: load and check kb/, refuse to build on errors, add our templates, assets and a
  categories-only navigation.
- on_files: add a page per public article (backed by its kb/ file, so dirty builds see edits)
  and per category.
- on_page_read_source / on_page_markdown: hand mkdocs the generated Markdown; fill the home
  page's markers.
- on_page_context / on_env: give templates the article, related articles and contact settings.
- on_post_build: put each article's customer phrasings into the site search index; split an
  index too large to download whole (kbgen.search_split).
- on_serve: watch kb/.

`kbgen serve` (live.py) renders again only the pages an edit changes; it hands the plugin the
updated site (`adopt`) and the search entries of the pages it rendered (`update_search`).
"""

from __future__ import annotations

import json
import logging
import os
import posixpath
import re
from importlib import resources
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files

from kbgen.articles import Article
from kbgen.check import check
from kbgen.errors import KbgenError
from kbgen.settings import OPTIONS
from kbgen.settings import read as read_settings
from kbgen.escape import html_text
from kbgen.project import Project
from kbgen.search_split import can_split
from kbgen.search_split import remove as remove_split
from kbgen.search_split import split as split_index
from kbgen.site import LISTING_MARKER, SIBLINGS, TAGS_PAGE, SiteModel, human_date, structured_data, tag_anchor
from kbgen.synonyms import expansions
from kbgen.synonyms import groups as synonym_groups

from .config import KbgenConfig

log = logging.getLogger("mkdocs.plugins.kbgen")

ARTICLE_TEMPLATE = "kbgen/article.html"
CATEGORY_TEMPLATE = "kbgen/category.html"
ASSETS = ("kbgen.css", "kbgen.js")
SIGNALS_ASSET = "signals.js"  # only on a site with api_url: without it, no script of ours makes a request
ASSET_DIR = "assets/kbgen"
# beside the theme's worker, whose "../lunr" addresses must resolve the same from ours
SEARCH_WORKER = "assets/javascripts/workers/kbgen-search.js"
# the weights of an article's search fields beside the theme's title (1,000) and kbgen's phrasings
# (search_questions_boost, 500), chosen on the even-numbered queries of
# benchmarks/site_search_queries.json: the synonyms of the title's words weigh as a phrasing does
# (the title names what the article answers; 500 among 300, 500, 700 and 1,000), the synonyms of its
# other words 300 (among 1, 20, 100, 300 and 1,000), and its text 100 (the theme's 1 made a rare
# word of the text count for nothing against a common one of a title: among 1 to 300, the same
# from 60 to 150)
SYNONYMS_BOOST = 300
TEXT_BOOST = 100
SEARCH_PIPELINE = ("stemmer", "stopWordFilter", "trimmer")
THEME_WORKER = re.compile(r'("search":\s*")([^"]*/)?(search\.[0-9a-f]+\.min\.js)(")')
HOME_MARKERS = ("<!-- kbgen:categories -->", "<!-- kbgen:featured -->", "<!-- kbgen:search -->")


def _search_plugin(config: Any) -> Any:
    """The theme's search plugin (listed as `search`, registered as `material/search`), or None."""
    found = config.plugins.get("material/search") or config.plugins.get("search")
    return found if found is not None and hasattr(found, "config") else None


def _footer_link(text: str) -> dict[str, str]:
    """'Label | https://address' from footer_links (checked by the settings' rules)."""
    label, _, url = text.rpartition("|")
    return {"label": label.strip(), "url": url.strip()}


def search_entries(docs: list[dict[str, Any]], site: SiteModel, synonym_groups: list[tuple[str, ...]] | None = None
                   ) -> list[dict[str, Any]]:
    """The theme's search entries as customers should meet them: each article with its summary
    first (what a result shows), its category (shown as a chip) and its customers' phrasings
    (each word once, so an article with many phrasings does not outrank the rest) and the
    synonyms of the words it uses (`kbgen.synonyms`: "membership" finds "subscription"; those of
    its title's words in a field of their own, weighed more); a
    category by its title and description alone (its listing repeats every article's summary);
    the home page and the tags page not at all (they are navigation, not answers)."""
    pages = {str(entry.get("location", "")).split("#", 1)[0] for entry in docs}
    articles = [a for a in site.articles if a.url_path in pages]  # a save hands over a few pages' entries
    phrasings = {a.url_path: " ".join(dict.fromkeys(" ".join(a.questions).lower().split())) for a in articles}
    summaries = {a.url_path: a.summary for a in articles if a.summary}
    sections = {a.url_path: view.title for view in site.categories for a in view.articles if a.url_path in pages}
    categories = {f"{v.name}/": v.category.description for v in site.categories}
    kept: list[dict[str, Any]] = []
    for entry in docs:
        location = str(entry.get("location", ""))
        page = location.split("#", 1)[0]
        if page in ("", f"{TAGS_PAGE}/") or (page in categories and "#" in location):
            continue
        if page in categories:
            entry = {**entry, "text": html_text(categories[page] or "")}
        elif "#" not in location and page in phrasings:
            if summaries.get(page):  # answers first: the summary is what a result shows
                entry = {**entry, "text": f"<p>{html_text(summaries[page])}</p>" + str(entry.get("text", ""))}
            entry = {**entry, "tags": [html_text(sections[page])]}  # shown under the result, as a chip
            if phrasings[page]:
                entry = {**entry, "questions": phrasings[page]}
            if synonym_groups:
                title = str(entry.get("title", ""))
                said = " ".join((title, re.sub(r"<[^>]+>", " ", str(entry.get("text", ""))), phrasings[page]))
                named = expansions(title, synonym_groups)
                in_title = set(named.split())
                extra = " ".join(w for w in expansions(said, synonym_groups).split() if w not in in_title)
                if named:
                    entry = {**entry, "title_synonyms": named}
                if extra:
                    entry = {**entry, "synonyms": extra}
        kept.append(entry)
    return kept


def _by_page(entries: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Search entries grouped by the page they belong to (their address before any '#')."""
    found: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        found.setdefault(str(entry.get("location", "")).split("#", 1)[0], []).append(entry)
    return found


def _json_list(entries: list[dict[str, Any]]) -> bytes:
    """ENTRIES as the inside of a JSON list (no brackets), as the index is written."""
    return ",".join(json.dumps(e, separators=(",", ":"), ensure_ascii=False) for e in entries).encode("utf-8")


class KbgenPlugin(BasePlugin[KbgenConfig]):  # type: ignore[valid-type]
    supports_multiple_instances = False

    def __init__(self) -> None:
        self._tags_page = False
        self.site: SiteModel | None = None
        self.project: Project | None = None
        self._by_src: dict[str, Article] = {}
        # set by `kbgen serve`: keep each page's search entries as written, so that a save
        # writes the index again from its pieces
        self.live = False
        self._search_json: dict[str, bytes] = {}
        self._search_config: dict[str, Any] = {}

    # --- configuration ----------------------------------------------------------------------

    def on_config(self, config: Any) -> Any:
        if not self.config.enabled:
            return config
        root = Path(config.config_file_path).parent if config.config_file_path else Path.cwd()
        try:  # the core's rules, as the command line reads the same options
            read_settings({k: v for k, v in self.config.items() if k in OPTIONS})
        except KbgenError as exc:
            raise PluginError(str(exc)) from None
        self.project = Project(
            root=root.resolve(),
            site_url=config.site_url or "",
            site_name=config.site_name or "",
            options={k: self.config[k] for k in ("kb_dir", "gaps_dir", "cache_dir")},
            site_folder=config.site_dir,
            docs_folder=config.docs_dir,
        )
        try:
            self.project.check_site_folder(Path(config.site_dir))
        except KbgenError as exc:
            raise PluginError(f"site_dir: {exc}") from None
        result = check(self.project)
        for warning in result.warnings:
            log.info(f"kbgen: {warning}")
        if result.errors and self.config.strict:
            listing = "\n  ".join(str(d) for d in result.errors)
            raise PluginError(f"the knowledge base has {len(result.errors)} error(s):\n  {listing}")
        self.adopt(SiteModel.build(result.kb, self.config.related_count))
        # the footer shows the team's own links (footer_links), not the theme's credit
        config.extra.setdefault("generator", False)

        templates = str(resources.files("kbgen.mkdocs_plugin") / "templates")
        dirs = config.theme.dirs
        custom = config.theme.custom_dir
        position = 1 if custom and dirs and os.path.samefile(dirs[0], custom) else 0
        if templates not in dirs:
            dirs.insert(position, templates)
        for name in self._assets():
            target = config.extra_css if name.endswith(".css") else config.extra_javascript
            if f"{ASSET_DIR}/{name}" not in [str(t) for t in target]:
                target.append(f"{ASSET_DIR}/{name}")
        if config.nav is None and self.config.nav:
            config.nav = self._navigation(config)
            # articles are reached from their category page by design: not a finding to list
            # (mkdocs would name every article at each build of `serve`)
            config.validation.nav.omitted_files = logging.DEBUG
        search = _search_plugin(config)
        if search is not None and "pipeline" in search.config:
            # kbgen's search worker stems what customers type: the index must hold stems too
            search.config.pipeline = list(SEARCH_PIPELINE)
        return config

    def adopt(self, site: SiteModel) -> bool:
        """Take SITE as the site's content; False when the tags page would come or go with it
        (every page's links change: the caller builds the whole site)."""
        # a category folder named like the tags page keeps its address; the tags page then goes
        tags_page = any(a.tags for a in site.articles) and site.category(TAGS_PAGE) is None
        same = self.site is None or tags_page == self._tags_page
        self.site = site
        self._by_src = {a.src_uri: a for a in site.articles}
        self._tags_page = tags_page
        return same

    def _navigation(self, config: Any) -> list[Any]:
        """Home, then one entry per category; articles are reached from their category page."""
        assert self.site is not None
        nav: list[Any] = []
        docs = Path(config.docs_dir)
        if (docs / "index.md").exists():
            nav.append({"Home": "index.md"})
        # the theme prints navigation titles as they are: a category's title is escaped here
        nav += [{html_text(view.title): f"{view.name}/index.md"} for view in self.site.categories]
        for extra in sorted(docs.glob("*.md")):
            if extra.name != "index.md":
                nav.append(extra.name)
        return nav

    # --- files and pages --------------------------------------------------------------------

    def on_files(self, files: Files, config: Any) -> Files:
        if not self.config.enabled or self.site is None:
            return files
        generated: list[File] = []
        for article in self.site.articles:
            generated.append(File.generated(config, article.src_uri, abs_src_path=str(article.path)))
        for view in self.site.categories:
            generated.append(File.generated(config, f"{view.name}/index.md", content=self.listing_markdown(view.name)))
        if self._tags_page:
            generated.append(File.generated(config, f"{TAGS_PAGE}/index.md", content=self.listing_markdown(TAGS_PAGE)))
        assets = resources.files("kbgen.mkdocs_plugin") / "assets"
        for name in self._assets():
            text = (assets / name).read_text(encoding="utf-8")
            if name.endswith(".js"):
                settings = {"api_url": self.config.api_url} if name == SIGNALS_ASSET else self._script_config()
                text = text.replace("/*KBGEN_CONFIG*/ {}", json.dumps(settings))
            generated.append(File.generated(config, f"{ASSET_DIR}/{name}", content=text))
        if _search_plugin(config) is not None:
            worker = (assets / "search-worker.js").read_text(encoding="utf-8")
            generated.append(File.generated(config, SEARCH_WORKER, content=worker))
        for file in generated:
            existing = files.get_file_from_path(file.src_uri)
            if existing is not None and existing.abs_src_path and not existing.generated_by:
                raise PluginError(
                    f"docs/{file.src_uri} is in the way of the knowledge base page with the same address; "
                    "rename or remove it"
                )
            if existing is not None:
                files.remove(existing)
            files.append(file)
        return files

    def listing_markdown(self, name: str) -> str:
        """The generated page of category NAME, or of the tags page; its list of articles is
        added to the HTML (`on_post_page`): thousands of links cost seconds as Markdown."""
        assert self.site is not None
        view = self.site.category(name)
        if view is not None:
            return self.site.category_markdown(view, CATEGORY_TEMPLATE, listing=False)
        return self.site.tags_markdown(CATEGORY_TEMPLATE, listing=False)

    def _listing_html(self, src_uri: str) -> str | None:
        """The list of articles of the listing page at SRC_URI, or None for other pages."""
        if self.site is None or not src_uri.endswith("/index.md") or src_uri.count("/") != 1:
            return None
        name = src_uri.split("/", 1)[0]
        view = self.site.category(name)
        if view is not None:
            return self.site.category_listing(view)
        return self.site.tags_listing() if name == TAGS_PAGE and self._tags_page else None

    def _assets(self) -> tuple[str, ...]:
        return ASSETS + ((SIGNALS_ASSET,) if self.config.api_url else ())

    def _script_config(self) -> dict[str, str]:
        """What kbgen.js needs to offer the contact path when search finds nothing."""
        return {
            "contact_url": self.config.contact_url,
            "param": self.config.contact_query_param,
            "label": self.config.contact_label,
        }

    def on_page_read_source(self, page: Any, config: Any) -> str | None:
        article = self._by_src.get(page.file.src_uri)
        if article is None or self.site is None:
            return None
        return self.site.article_markdown(article, ARTICLE_TEMPLATE)

    def on_page_markdown(self, markdown: str, page: Any, config: Any, files: Files) -> str:
        if self.site is None or page.file.src_uri != "index.md" or not any(m in markdown for m in HOME_MARKERS):
            return markdown
        # relative to the page, as mkdocs' own links, so the site works under any path and from disk
        folder = posixpath.dirname(page.url) if page.url else ""
        base = "../" * len([part for part in folder.split("/") if part])
        featured = self.site.featured(list(self.config.featured), self.config.featured_count)
        markdown = markdown.replace(HOME_MARKERS[0], self.site.categories_html(base))
        markdown = markdown.replace(HOME_MARKERS[2], self.site.search_html())
        return markdown.replace(HOME_MARKERS[1], self.site.articles_html(featured, base))

    def on_post_page(self, output: str, page: Any, config: Any) -> str:
        """Add a listing page's list; send the theme's search queries through kbgen's worker
        (see assets/search-worker.js)."""
        if self.site is None:
            return output
        if page.file.generated_by and LISTING_MARKER in output:
            listing = self._listing_html(page.file.src_uri)
            if listing is not None:
                output = output.replace(LISTING_MARKER, listing.rstrip("\n"), 1)
        if _search_plugin(config) is None:
            return output
        return THEME_WORKER.sub(lambda m: f"{m[1]}{m[2] or ''}kbgen-search.js?theme={m[3]}{m[4]}", output, count=1)

    def on_page_context(self, context: Any, page: Any, config: Any, nav: Any) -> Any:
        if self.site is None:
            return context
        article = self._by_src.get(page.file.src_uri)
        if article is not None:
            view = self.site.category(article.category)
            related = self.site.related.get(article.slug, [])
            context["kbgen_article"] = {
                "slug": article.slug,
                "title": article.title,
                "summary": article.summary,
                "updated": article.updated.isoformat() if article.updated else "",
                "updated_text": human_date(article.updated) if article.updated else "",
                "tags": [{"name": tag, "url": f"{TAGS_PAGE}/", "anchor": tag_anchor(tag)} for tag in article.tags]
                if self._tags_page else [{"name": tag, "url": "", "anchor": ""} for tag in article.tags],
                "category": {"title": view.title if view else article.category, "url": f"{article.category}/"},
                "related": [{"title": other.title, "url": other.url_path, "summary": other.summary} for other in related],
                # the category's other articles, beside the article: where to go next in the topic
                "siblings": [{"title": other.title, "url": other.url_path}
                             for other in (view.articles if view else []) if other.slug != article.slug][:SIBLINGS],
                "structured_data": structured_data(article, page.canonical_url or "", config.site_name or ""),
            }
        return context

    def on_env(self, env: Any, config: Any, files: Files) -> Any:
        if self.site is None:
            return env
        env.globals["kbgen"] = {
            "contact": {
                "url": self.config.contact_url,
                "title": self.config.contact_title,
                "text": self.config.contact_text,
                "label": self.config.contact_label,
                "param": self.config.contact_query_param,
            },
            "categories": [
                {"title": v.title, "url": f"{v.name}/", "count": len(v.articles), "description": v.category.description}
                for v in self.site.categories
            ],
            "footer_links": [_footer_link(text) for text in self.config.footer_links],
            "api_url": self.config.api_url,
        }
        return env

    # --- search and serve ---------------------------------------------------------------------

    @event_priority(-100)  # after the search plugin has written its index
    def on_post_build(self, config: Any) -> None:
        if self.site is None:
            return
        robots = Path(config.site_dir) / "robots.txt"
        if not robots.exists():  # docs/robots.txt, if the team wrote one, wins
            sitemap = f"Sitemap: {config.site_url.rstrip('/')}/sitemap.xml\n" if config.site_url else ""
            robots.write_text("User-agent: *\nAllow: /\n" + sitemap, encoding="utf-8")
        path = Path(config.site_dir) / "search" / "search_index.json"
        if not path.exists():
            return
        index = json.loads(path.read_text(encoding="utf-8"))
        raw = index.get("docs", [])
        index["docs"] = search_entries(raw, self.site, synonym_groups(self.config.search_synonyms))
        fields = index.setdefault("config", {}).setdefault("fields", {})
        fields["questions"] = {"boost": self.config.search_questions_boost}
        fields["title_synonyms"] = {"boost": self.config.search_questions_boost}
        fields["synonyms"] = {"boost": SYNONYMS_BOOST}
        fields["text"] = {**(fields.get("text") or {}), "boost": TEXT_BOOST}
        fields["tags"] = {"boost": 1}  # the category, for display: the theme weighs tags 1,000,000
        if self.live:
            self._search_config = index["config"]
            self._search_json = {page: _json_list(entries) for page, entries in _by_page(index["docs"]).items()}
        whole = json.dumps(index, separators=(",", ":"), ensure_ascii=False)
        if not self._split_search(config, len(whole.encode("utf-8")), index["config"]):
            remove_split(path.parent)
            path.write_text(whole, encoding="utf-8")
            return
        # too large to download before the first result: split by term, fetched on demand by
        # kbgen's search worker; the theme's index file keeps only the manifest
        manifest = split_index(index, path.parent)
        small = {"config": {**index["config"], "kbgen": manifest}, "docs": []}
        path.write_text(json.dumps(small, separators=(",", ":"), ensure_ascii=False), encoding="utf-8")

    def _split_search(self, config: Any, size: int, search_config: dict[str, Any]) -> bool:
        """Whether to split the search index by term: only a built site's (the preview writes it
        whole from each page's piece at every save, `update_search`), only one of more than
        search_split_kb, tokenized as kbgen.search_split can (English), and never with the theme's
        offline plugin (search from file:// cannot fetch pieces)."""
        offline = config.plugins.get("material/offline") or config.plugins.get("offline")
        if offline is not None and getattr(offline, "config", {}).get("enabled", True):
            return False
        return not self.live and size > self.config.search_split_kb * 1024 and can_split(search_config)

    def update_search(self, config: Any, pages: list[str], entries: list[dict[str, Any]], removed: list[str]) -> None:
        """The search index after PAGES (addresses) were rendered again, with the theme's ENTRIES
        for them, and the pages REMOVED were deleted; written whole, from each page's piece."""
        assert self.site is not None
        fresh = _by_page(entries)
        for page in removed:
            self._search_json.pop(page, None)
        kept = _by_page(search_entries(entries, self.site, synonym_groups(self.config.search_synonyms)))
        for page in dict.fromkeys([*pages, *fresh]):
            self._search_json[page] = _json_list(kept.get(page, []))
        head = json.dumps({"config": self._search_config}, separators=(",", ":"), ensure_ascii=False)[:-1]
        path = Path(config.site_dir) / "search" / "search_index.json"
        tmp = path.with_name(f".{path.name}.tmp")
        with open(tmp, "wb") as out:  # piece by piece: no 40 MB string at 10,000 articles
            out.write((head + ',"docs":[').encode("utf-8"))
            parts = (part for part in self._search_json.values() if part)
            for number, part in enumerate(parts):
                if number:
                    out.write(b",")
                out.write(part)
            out.write(b"]}")
        os.replace(tmp, path)

    def on_serve(self, server: Any, config: Any, builder: Any) -> Any:
        if self.project is not None:
            server.watch(str(self.project.kb_dir))
        return server
