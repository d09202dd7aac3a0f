"""The import as a whole: read the source, name and convert every page, rewrite the links, then
write everything at once, or nothing (`writing`): all reading and checking happens before the
first write."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ERROR, KbgenError
from ..project import Project
from . import docusaurus, jekyll, mkdocs
from .convert import BREAK, FILE_LINK, PARTIAL, POST_LINK, Converter
from .links import Resolver, Target, find_links
from .mapping import article_meta, category_title, is_draft, safe_file_name, safe_name
from .model import CategoryInfo, Problem, Source, SourcePage
from .reading import first_heading, inside, without_first_heading
from .writing import drop_unchanged, write_all

READERS = {"docusaurus": docusaurus, "mkdocs": mkdocs, "jekyll": jekyll}  # the most specific marker first
KIND_NAMES = {"docusaurus": "Docusaurus", "mkdocs": "mkdocs", "jekyll": "Jekyll"}
ASSET_FOLDER = "assets/imported"  # under the knowledge base's docs/ folder
FALLBACK_CATEGORY = "general"
SITE_PAGES = frozenset({"404", "search", "tags", "categories", "archive", "sitemap", "feed"})  # not articles


@dataclass
class Planned:
    """One page on its way to kb/<category>/<slug>.md."""

    page: SourcePage
    category: str
    slug: str
    title: str
    body: str
    body_line: int
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def kb_rel(self) -> str:
        return f"{self.category}/{self.slug}.md"


@dataclass
class ImportResult:
    """What an import did (or, with dry_run, would do), for the report."""

    kind: str
    source: str
    articles: list[dict[str, str]] = field(default_factory=list)  # source, path, category, title
    categories: dict[str, int] = field(default_factory=dict)  # folder -> pages imported into it
    new_categories: list[str] = field(default_factory=list)
    links_rewritten: int = 0
    assets: list[dict[str, str]] = field(default_factory=list)  # source, path
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # written, relative to the knowledge base's root
    dry_run: bool = False

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind, "source": self.source, "dry_run": self.dry_run,
            "imported": len(self.articles), "categories": self.categories, "new_categories": self.new_categories,
            "links_rewritten": self.links_rewritten, "articles": self.articles, "assets": self.assets,
            "files": self.files, "problems": [p.to_dict() for p in self.problems],
        }


def read_source(folder: Path) -> Source:
    """The source folder read by the reader of its kind; an error when it is no help center kbgen knows."""
    if not folder.exists():
        raise KbgenError("the folder does not exist", path=folder)
    if not folder.is_dir():
        raise KbgenError("this is a file; give the help center's folder", path=folder)
    root = folder.resolve()
    for module in READERS.values():
        try:
            found = module.detect(root)
        except OSError as exc:
            raise KbgenError(f"the folder cannot be read: {exc.strerror}", path=folder) from None
        if found:
            return module.read(root)
    raise KbgenError("not a help center kbgen can import: no _config.yml or _posts/ (Jekyll), docusaurus.config.js "
                     "(Docusaurus) or mkdocs.yml (mkdocs) in it", path=folder)


def import_help_center(folder: Path, project: Project, force: bool = False, dry_run: bool = False) -> ImportResult:
    """Bring the help center in FOLDER into PROJECT's kb/; returns what was (or would be) written."""
    kb_dir = project.kb_dir
    if folder.exists() and (inside(folder, kb_dir) or inside(kb_dir, folder)):
        raise KbgenError("the source holds this knowledge base's kb/ folder (or is inside it); give the old help "
                         "center's own folder", path=folder)
    source = read_source(folder)
    if not source.pages:
        raise KbgenError(f"no Markdown pages found in this {KIND_NAMES[source.kind]} help center", path=folder)
    result = ImportResult(source.kind, str(folder), problems=list(source.problems), dry_run=dry_run)
    planned = _plan(source, project, result)
    outputs = _outputs(source, planned, project, result)
    outputs = drop_unchanged(outputs, project, force)
    result.files = sorted(project.relpath(path) for path in outputs)
    result.problems.sort(key=lambda p: (p.path, p.line))
    if not dry_run:
        write_all(outputs, project)
    return result


# --- naming and converting -------------------------------------------------------------------------


def _plan(source: Source, project: Project, result: ImportResult) -> list[Planned]:
    kb_dir = project.kb_dir
    taken: dict[str, str] = {}  # slug -> who has it, for messages
    existing: dict[str, str] = {}  # slug -> category folder of an article already in kb/
    if kb_dir.is_dir():
        for path in sorted(kb_dir.glob("*/*.md")):
            existing.setdefault(path.stem, path.parent.name)
    planned: list[Planned] = []
    for page in sorted(source.pages, key=lambda p: p.rel):
        raw_category = docusaurus.plain(page.category) if source.kind == "docusaurus" else page.category
        category = safe_name(raw_category, FALLBACK_CATEGORY)
        slug = safe_name(docusaurus.plain(page.slug) if source.kind == "docusaurus" else page.slug, "page")
        base, n = slug, 1
        while True:
            if slug in taken:
                other = taken[slug]
            elif slug in existing and existing[slug] != category:
                other = f"kb/{existing[slug]}/{slug}.md"
            else:
                break
            n += 1
            slug = f"{base}-{n}"
        if slug != base:
            result.problems.append(Problem(page.rel, 0, f"saved as '{slug}.md': the name '{base}' is taken by {other}"))
        taken[slug] = page.rel
        value = page.meta.get("title")
        title = " ".join(str(value).split()) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else ""
        planned.append(Planned(page, category, slug, title, page.body, page.body_line))
    return planned


def _title_from_heading(item: Planned) -> None:
    """A '# Title' that opens the converted body is the title (kbgen's page shows the title itself)."""
    heading = first_heading(item.body)
    if heading and (not item.title or " ".join(heading.split()).lower() == item.title.lower()):
        item.title = item.title or " ".join(heading.split())
        item.body = without_first_heading(item.body)
    item.title = item.title or item.page.nav_title or category_title(item.slug)


def _outputs(source: Source, planned: list[Planned], project: Project, result: ImportResult) -> dict[Path, bytes]:
    """Every file to write (absolute path -> bytes), with the report filled in on the way."""
    from ..articles import render_article

    problems = result.problems
    resolver = Resolver(source)
    partials = frozenset(source.partials)
    partial_bodies: dict[str, str] = {}
    for rel, partial in source.partials.items():
        convert = Converter(rel, partial.body_line, problems)
        partial_bodies[rel] = convert.admonitions(convert.mdx(partial.body, partials))
    for item in planned:
        convert = Converter(item.page.rel, item.body_line, problems)
        if source.kind == "jekyll":
            item.body = convert.liquid_links(item.body, item.page.meta)
        elif source.kind == "docusaurus":
            item.body = convert.admonitions(convert.mdx(item.body, partials))
    # pages left with no text (listing and layout pages) are not articles
    kept: list[Planned] = []
    for item in planned:
        stem = item.page.path.stem.lower()
        top_level = not item.page.urls or "/" not in item.page.urls[0].strip("/")
        if stem in SITE_PAGES and top_level:
            problems.append(Problem(item.page.rel, 0, f"the site's own '{stem}' page: not imported (kbgen makes its own)"))
            continue
        text = re.sub(r"\{%.*?%\}|\{\{.*?\}\}", "", item.body, flags=re.DOTALL) if source.kind == "jekyll" else item.body
        if without_first_heading(text.replace(BREAK, "")).strip():
            kept.append(item)
        elif _describes_category(source, item):
            problems.append(Problem(item.page.rel, 0, f"no text of its own: its description is used for the category "
                                    f"'{item.category}', not imported as an article"))
        else:
            problems.append(Problem(item.page.rel, 0, "no text of its own (a listing or layout page): not imported"))
    by_page = {id(item.page): item for item in kept}
    assets: dict[Path, str] = {}  # source file -> docs-relative destination
    home = (project.docs_dir / "index.md").is_file()
    used: set[str] = set()
    for item in kept:
        item.body = _rewrite_links(item, resolver, by_page, assets, home, result)
        item.body = _with_partials(item, source, partial_bodies, used, lambda part: _rewrite_links(
            part, resolver, by_page, assets, home, result))
        if source.kind == "jekyll":
            item.body = Converter(item.page.rel, item.body_line, problems).liquid_rest(item.body)
        body = re.sub(r"^[ \t]+$", "", item.body.replace(BREAK, "\n"), flags=re.MULTILINE)
        item.body = re.sub(r"\n{3,}", "\n\n", body).strip("\n") + "\n"
        _title_from_heading(item)

    for rel in sorted(set(source.partials) - used):
        problems.append(Problem(rel, 0, "a partial (its name starts with '_') that no imported page includes; not imported"))
    result.problems[:] = list(dict.fromkeys(problems))  # a partial's problem, once for all the pages that include it
    outputs: dict[Path, bytes] = {}
    for item in kept:
        meta = article_meta(item.page, item.title, split_tags=source.kind == "jekyll")
        text = _valid_article(item, meta, render_article)
        outputs[project.kb_dir / item.category / f"{item.slug}.md"] = text.encode("utf-8")
        result.articles.append({"source": item.page.rel, "path": project.relpath(project.kb_dir / item.kb_rel),
                                "category": item.category, "title": item.title})
        result.categories[item.category] = result.categories.get(item.category, 0) + 1
    for file, dest in sorted(assets.items()):
        target = project.docs_dir / dest
        outputs[target] = file.read_bytes()
        result.assets.append({"source": file.relative_to(source.root).as_posix(), "path": project.relpath(target)})
    categories_yml = _categories_file(source, kept, project, result)
    if categories_yml is not None:
        outputs[project.kb_dir / "categories.yml"] = categories_yml.encode("utf-8")
    return outputs


def _with_partials(item: Planned, source: Source, bodies: dict[str, str], used: set[str],
                   rewrite: Callable[[Planned], str]) -> str:
    """ITEM's body with each partial it includes (`<Snippet />`) in place, its links rewritten as
    seen from the article it is now part of."""
    if PARTIAL not in item.body:
        return item.body

    def text(match: re.Match[str]) -> str:
        rel = match.group(1)
        used.add(rel)
        partial = source.partials[rel]
        inner = rewrite(Planned(partial, item.category, item.slug, "", bodies[rel], partial.body_line))
        return re.sub(f"{PARTIAL}[^{PARTIAL}]*{PARTIAL}", "", inner).strip("\n")  # one level deep

    return re.sub(f"{PARTIAL}([^{PARTIAL}]*){PARTIAL}", text, item.body)


def _describes_category(source: Source, item: Planned) -> bool:
    """A page with no text but a category and a description (Jekyll sites keep category blurbs so):
    the category's description, unless the source gives one already."""
    description = item.page.meta.get("description")
    if not item.page.category or not isinstance(description, str) or not description.strip():
        return False
    info = source.categories.setdefault(item.page.category, CategoryInfo())
    if info.description:
        return False
    info.description = " ".join(description.split())
    return True


def _rewrite_links(item: Planned, resolver: Resolver, by_page: dict[int, Planned], assets: dict[Path, str],
                   home: bool, result: ImportResult) -> str:
    body = item.body
    for start, end, target, in_html in reversed(find_links(body)):
        line = item.body_line + body.count("\n", 0, start)
        found = resolver.resolve(item.page, target)
        new = _link_to(found, item, by_page, assets, home, in_html, resolver.source) if found else None
        if new is None:
            plain = target.removeprefix(FILE_LINK).removeprefix(POST_LINK)
            if found is not None or _internal(target):
                why = found.reason or "its page was not imported" if found is not None else \
                    "no page or file of the source has this address"
                result.problems.append(Problem(item.page.rel, line, f"the link '{plain}' was left as it was: {why}"))
            if plain != target:
                body = body[:start] + plain + body[end:]
            continue
        fragment = "#" + target.split("#", 1)[1] if "#" in target and found.kind == "page" else ""
        new += fragment
        if found.kind == "page" and found.page is not None:
            linked = by_page[id(found.page)]
            if found.guessed:
                result.problems.append(Problem(item.page.rel, line, f"the link '{target}' matches no address of the "
                                               f"old site exactly; it now goes to {linked.kb_rel}, the only page of "
                                               "that name: check it"))
            if is_draft(linked.page) and not is_draft(item.page):
                result.problems.append(Problem(item.page.rel, line, f"the link '{target}' goes to a draft ({linked.kb_rel}); "
                                               "`kbgen check` fails on it until that article is published"))
        if new != target:
            result.links_rewritten += 1
            body = body[:start] + new + body[end:]
    # a link tag outside a Markdown link (in plain text): its address, as the old site printed it
    return re.sub(rf"(?:{FILE_LINK}|{POST_LINK})(\S+)", lambda m: m.group(1), body)


def _internal(target: str) -> bool:
    return bool(target) and not target.startswith(("#", "//")) and not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) \
        or target.startswith((FILE_LINK, POST_LINK))


def _link_to(found: Target, item: Planned, by_page: dict[int, Planned], assets: dict[Path, str], home: bool,
             in_html: bool, source: Source) -> str | None:
    """The new address: a file link in Markdown, a page address in raw HTML (Markdown leaves HTML alone)."""
    up = "../../" if in_html else "../"
    if found.kind == "home":
        return up if in_html else ("../index.md" if home else None)
    if found.kind == "asset" and found.file is not None:
        if found.file not in assets:
            assets[found.file] = _asset_name(_asset_path(found.file, source), assets)
        return up + assets[found.file]
    linked = by_page.get(id(found.page))
    if linked is None:
        return None
    if in_html:
        return f"../{linked.slug}/" if linked.category == item.category else f"../../{linked.category}/{linked.slug}/"
    return f"{linked.slug}.md" if linked.category == item.category else f"../{linked.category}/{linked.slug}.md"


def _asset_path(file: Path, source: Source) -> Path:
    """A file's path below the folder the old site served it from (static/, docs/), else below the source."""
    for folder in (*source.static_roots, source.root):
        try:
            return file.relative_to(folder)
        except ValueError:
            continue
    return Path(file.name)


def _asset_name(rel: Path, assets: dict[Path, str]) -> str:
    """Where a copied image goes under docs/: its path in the source, made safe, never a taken one."""
    parts = [safe_file_name(part) for part in rel.parts]
    if len(parts) > 1 and parts[0] in ("assets", "static"):  # docs/assets/imported/img/, not .../assets/img/
        parts = parts[1:]
    name = posixpath.join(ASSET_FOLDER, *parts)
    taken = set(assets.values())
    stem, ext = posixpath.splitext(name)
    n = 1
    while name in taken:
        n += 1
        name = f"{stem}-{n}{ext}"
    return name


def _valid_article(item: Planned, meta: dict[str, Any], render: Any) -> str:
    """The article's text; a source key whose value kbgen would reject is kept under another name."""
    from ..articles import KNOWN_KEYS, parse_article

    for _ in range(len(KNOWN_KEYS)):
        text = render(meta, item.body)
        _, diags = parse_article(Path(f"{item.slug}.md"), item.kb_rel, item.category, text)
        bad = [d.key for d in diags if d.severity == ERROR and d.key in meta and d.key != "title"]
        if not bad:
            return text
        for key in bad:
            meta[f"source_{key}"] = meta.pop(key)
    return render(meta, item.body)


def _categories_file(source: Source, kept: list[Planned], project: Project, result: ImportResult) -> str | None:
    """kb/categories.yml with an entry for each new category; the entries already there are kept as written."""
    import yaml

    path = project.kb_dir / "categories.yml"
    text = ""
    known: set[str] = set()
    if path.is_file():
        text = path.read_text(encoding="utf-8")
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise KbgenError("the file is not valid YAML; fix it before importing", path=project.relpath(path),
                             line=(mark.line + 1) if mark else 0) from None
        known = {str(k) for k in data} if isinstance(data, dict) else set()
    raw_names: dict[str, str] = {}
    for item in kept:
        raw_names.setdefault(item.category, item.page.category if item.page.category else "")
    entries = ""
    for folder in sorted(raw_names):
        if folder in known or (project.kb_dir / folder).is_dir():
            continue
        raw = raw_names[folder]
        info = source.categories.get(raw, CategoryInfo())
        entry: dict[str, Any] = {"title": info.title or category_title(docusaurus.plain(raw) if raw else folder)}
        if info.description:
            entry["description"] = info.description
        if info.order is not None:
            entry["order"] = info.order
        entries += yaml.safe_dump({folder: entry}, sort_keys=False, allow_unicode=True, width=1000)
        result.new_categories.append(folder)
    if not entries:
        return None
    if text and not text.endswith("\n"):
        text += "\n"
    return text + entries
