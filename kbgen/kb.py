"""The knowledge base as a whole: categories (folders plus kb/categories.yml) and their articles.

Loading collects every problem instead of stopping at the first, so one `kbgen check` shows an
editor the full list. Articles that cannot be parsed at all are left out of `articles`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import yamlio
from .articles import SLUG_RE, Article, parse_article, read_text
from .errors import ERROR, WARNING, Diagnostic
from .project import Project

CATEGORIES_FILE = "categories.yml"
CATEGORY_KEYS = ("title", "description", "order")

# each article file as last parsed in this process, by path, with the stamp it had: a live
# preview reloads the knowledge base after every save and parses again only the files that
# changed (mtime_ns, size); one table per kb/ folder, holding only the files of the last load
_Parsed = tuple[int, int, str, "Article | None", "list[Diagnostic]"]
_PARSED: dict[Path, dict[str, _Parsed]] = {}


@dataclass
class Category:
    """A folder of kb/, with the title, description and order that categories.yml gives it."""

    name: str
    title: str
    description: str = ""
    order: int = 1000
    line: int = 0  # where categories.yml defines it, for messages

    @property
    def url_path(self) -> str:
        return f"{self.name}/"


@dataclass
class KnowledgeBase:
    """Everything under kb/, parsed, with the problems found on the way."""

    project: Project
    categories: dict[str, Category] = field(default_factory=dict)
    articles: list[Article] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # what `load(also=...)` returned for each article it parsed, by the article's rel
    also: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, project: Project, also: Callable[[Article], Any] | None = None,
             also_needed: Callable[[str, tuple[int, int]], bool] | None = None) -> KnowledgeBase:
        """Everything under kb/. ALSO runs on every article this load parses (not on one parsed
        by an earlier load and unchanged since), where it is parsed. When ALSO_NEEDED (the file's
        rel and (mtime_ns, size)) says ALSO has work to do on many files, as on `kbgen check`'s
        first run, the parsing and ALSO are shared between forked processes: reading the articles
        and what ALSO reads of them cost one pass, not two. Parsing alone is not worth it: sending
        the articles back costs what the second core saves."""
        kb = cls(project)
        kb._also = also
        kb._load(also_needed)
        del kb._also
        return kb

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if not d.is_error]

    def public_articles(self) -> list[Article]:
        return [a for a in self.articles if a.is_public]

    def by_slug(self) -> dict[str, Article]:
        """Articles by slug (the first one wins where `check` reports a duplicate)."""
        found: dict[str, Article] = {}
        for article in self.articles:
            found.setdefault(article.slug, article)
        return found

    def ordered_categories(self) -> list[Category]:
        return sorted(self.categories.values(), key=lambda c: (c.order, c.title.lower(), c.name))

    def articles_in(self, category: str, public_only: bool = True) -> list[Article]:
        chosen = [a for a in self.articles if a.category == category and (a.is_public or not public_only)]
        return sorted(chosen, key=lambda a: a.title.lower())

    # --- loading ------------------------------------------------------------------------------

    def _rel(self, path: Path) -> str:
        return self.project.relpath(path)

    def _load(self, also_needed: Callable[[str, tuple[int, int]], bool] | None = None) -> None:
        kb_dir = self.project.kb_dir
        if not kb_dir.is_dir():
            self.diagnostics.append(
                Diagnostic(
                    self._rel(kb_dir), 0, ERROR, "no-kb", "the knowledge base folder does not exist; create it or run `kbgen init`"
                )
            )
            return
        configured = self._load_categories(kb_dir / CATEGORIES_FILE)
        self._before = _PARSED.get(kb_dir, {})
        self._seen: dict[str, _Parsed] = {}
        self._ahead = self._parse_ahead(kb_dir, also_needed) if also_needed and self._also else {}
        folders: list[str] = []
        for entry in sorted(os.scandir(kb_dir), key=lambda e: e.name):
            if entry.name.startswith("."):
                continue
            if entry.is_symlink():
                self._symlink(Path(entry.path))
                continue
            if entry.is_dir():
                folders.append(entry.name)
                self._load_folder(Path(entry.path), entry.name)
            elif entry.name.endswith(".md"):
                self.diagnostics.append(
                    Diagnostic(
                        self._rel(Path(entry.path)),
                        0,
                        ERROR,
                        "no-category",
                        "articles must be inside a category folder, like kb/billing/" + entry.name,
                    )
                )
            elif entry.name != CATEGORIES_FILE:
                self._not_published(Path(entry.path))
        for name in folders:
            if name in configured:
                self.categories[name] = configured[name]
            else:
                self.categories[name] = Category(name, name.replace("-", " ").replace("_", " ").capitalize())
        _PARSED[kb_dir] = self._seen
        del self._before, self._seen, self._ahead
        for name, category in configured.items():
            if name not in self.categories:
                self.diagnostics.append(
                    Diagnostic(
                        self._rel(kb_dir / CATEGORIES_FILE),
                        category.line,
                        WARNING,
                        "unused-category",
                        f"category '{name}' has no folder kb/{name}/; it is not shown",
                        name,
                    )
                )

    def _load_folder(self, folder: Path, category: str) -> None:
        if not SLUG_RE.match(category):
            self.diagnostics.append(
                Diagnostic(
                    self._rel(folder),
                    0,
                    ERROR,
                    "bad-category-name",
                    "a category folder name becomes the page address, so it must use only lowercase "
                    "letters, digits and single hyphens",
                )
            )
        kb_rel = self._rel(self.project.kb_dir)
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            if entry.name.startswith("."):
                continue
            if entry.name.endswith(".md") and not entry.is_symlink() and entry.is_file():
                self._load_article(entry, category, kb_rel)
                continue
            path = Path(entry.path)
            if entry.is_symlink():
                self._symlink(path)
                continue
            if entry.is_dir():
                if any(p.suffix == ".md" for p in path.rglob("*.md")):
                    self.diagnostics.append(
                        Diagnostic(
                            self._rel(path),
                            0,
                            ERROR,
                            "nested-folder",
                            "categories are one folder deep; move these articles up into "
                            f"kb/{category}/ or into a category of their own",
                        )
                    )
                continue
            if not entry.name.endswith(".md"):
                self._not_published(path)
                continue
            self._load_article(entry, category, kb_rel)

    def _parse_ahead(self, kb_dir: Path, also_needed: Callable[[str, tuple[int, int]], bool]
                     ) -> dict[str, tuple[tuple[int, int], Article | None, list[Diagnostic], Any]]:
        """The article files this load has to parse, parsed (and ALSO run on them) in forked
        processes when there are many, by path; the walk below takes each from here when the
        file's stamp has not changed since, and handles everything else (folders in the wrong
        place, links, files that are not articles) itself, as it does without this."""
        from . import forked

        kb_rel = self._rel(kb_dir)
        jobs = []
        for folder in os.scandir(kb_dir):
            if folder.name.startswith(".") or folder.is_symlink() or not folder.is_dir():
                continue
            for entry in os.scandir(folder.path):
                if entry.name.startswith(".") or not entry.name.endswith(".md") or entry.is_symlink() or not entry.is_file():
                    continue
                rel, stamp = f"{kb_rel}/{folder.name}/{entry.name}", _stamp(entry)
                if not self._known(entry.path, stamp, rel):
                    jobs.append((entry.path, rel, folder.name, stamp))
        if sum(also_needed(job[1], job[3]) for job in jobs) < forked.PARALLEL_FROM:
            return {}  # parsed one by one as the walk meets them

        def parse(job: tuple[str, str, str, tuple[int, int]]) -> tuple[Article | None, list[Diagnostic], Any]:
            article, problems = self._parse(Path(job[0]), job[1], job[2])
            return article, problems, self._also(article) if self._also and article is not None else None

        return {job[0]: (job[3], *done) for job, done in zip(jobs, forked.map_forked(parse, jobs))}

    def _known(self, path: str, stamp: tuple[int, int], rel: str) -> bool:
        """Parsed by an earlier load, and unchanged since."""
        known = self._before.get(path)
        return known is not None and known[:3] == (*stamp, rel) and stamp[0] >= 0

    def _load_article(self, entry: os.DirEntry[str], category: str, kb_rel: str) -> None:
        """One article file, parsed again only when its stamp changed since the last load."""
        rel = f"{kb_rel}/{category}/{entry.name}"
        stamp = _stamp(entry)
        ahead = self._ahead.get(entry.path)
        if self._known(entry.path, stamp, rel):
            known = self._before[entry.path]
            article, problems = known[3], known[4]
        elif ahead is not None and ahead[0] == stamp and stamp[0] >= 0:
            article, problems = ahead[1], ahead[2]
            if article is not None and self._also:
                self.also[rel] = ahead[3]
        else:
            article, problems = self._parse(Path(entry.path), rel, category)
            if article is not None and self._also:
                self.also[rel] = self._also(article)
        self._seen[entry.path] = (*stamp, rel, article, problems)
        self.diagnostics.extend(problems)
        if article is not None:
            self.articles.append(article)

    @staticmethod
    def _parse(path: Path, rel: str, category: str) -> tuple[Article | None, list[Diagnostic]]:
        text, problems = read_text(path, rel)
        if text is None:
            return None, problems
        article, more = parse_article(path, rel, category, text)
        return article, problems + more

    def _symlink(self, path: Path) -> None:
        """A symbolic link in kb/: never followed (it could publish any file on the machine)."""
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        self.diagnostics.append(Diagnostic(
            self._rel(path), 0, ERROR, "symlink",
            f"this is a symbolic link (to {target}); kbgen does not follow links, so nothing outside kb/ is "
            "published: put the file itself here instead",
        ))

    def _not_published(self, path: Path) -> None:
        self.diagnostics.append(Diagnostic(
            self._rel(path), 0, WARNING, "not-an-article",
            "this file is not a Markdown article and is not published; put images and documents under "
            "docs/ (for example docs/assets/) and link to them from there",
        ))

    def _load_categories(self, path: Path) -> dict[str, Category]:
        """kb/categories.yml: `<folder>: {title, description, order}` for each category."""
        import yaml

        if not path.exists():
            return {}
        rel = self._rel(path)

        def problem(rule: str, message: str, key: str = "", line: int = 0, severity: str = ERROR) -> None:
            self.diagnostics.append(Diagnostic(rel, line, severity, rule, message, key))

        text, problems = read_text(path, rel)
        if text is None:
            self.diagnostics.extend(problems)
            return {}
        try:
            root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem(
                "yaml-syntax",
                f"the file is not valid YAML ({getattr(exc, 'problem', None) or 'it cannot be read'})",
                line=(mark.line + 1) if mark else 0,
            )
            return {}
        if root is None:
            return {}
        if not isinstance(root, yaml.MappingNode):
            problem("wrong-type", "categories.yml must map each folder name to its title, description and order", line=1)
            return {}
        found: dict[str, Category] = {}
        if yamlio.expanded_size(root) > yamlio.MAX_NODES:
            problem("yaml-too-large", f"categories.yml expands to more than {yamlio.MAX_NODES:,} values (repeated YAML aliases)", line=1)
            return {}
        for key_node, value_node in root.value:
            name = str(key_node.value)
            line = key_node.start_mark.line + 1
            if name in found:
                problem("duplicate-key", f"category '{name}' is given twice (lines {found[name].line} and {line}); keep one",
                        name, line)
                continue
            if not isinstance(value_node, yaml.MappingNode):
                problem("wrong-type", f"'{name}' must have title, description and order under it", name, line)
                continue
            fields: dict[str, tuple[str, int, yaml.Node]] = {}
            for k, v in value_node.value:
                if str(k.value) in fields:
                    problem("duplicate-key", f"'{k.value}' of '{name}' is given twice; keep one", f"{name}.{k.value}",
                            k.start_mark.line + 1)
                fields[str(k.value)] = (str(k.value), k.start_mark.line + 1, v)
            category = Category(name, name.replace("-", " ").capitalize(), line=line)
            for field_name, field_line, node in fields.values():
                if field_name not in CATEGORY_KEYS:
                    problem(
                        "unknown-key",
                        f"'{field_name}' is not a category setting (use title, description, order)",
                        f"{name}.{field_name}",
                        field_line,
                        WARNING,
                    )
                    continue
                if not isinstance(node, yaml.ScalarNode):
                    problem("wrong-type", f"'{field_name}' of '{name}' must be a single value", f"{name}.{field_name}", field_line)
                    continue
                if field_name == "order":
                    try:
                        category.order = int(node.value)
                    except ValueError:
                        problem("wrong-type", f"'order' of '{name}' must be a whole number", f"{name}.order", field_line)
                else:
                    setattr(category, field_name, str(node.value).strip())
            if not category.title:
                problem("missing-title", f"category '{name}' has an empty title", f"{name}.title", line)
                category.title = name.replace("-", " ").capitalize()
            found[name] = category
        return found


def _stamp(entry: os.DirEntry[str]) -> tuple[int, int]:
    """(mtime_ns, size) of a file: a change to either means it is parsed again."""
    try:
        info = entry.stat()
        return info.st_mtime_ns, info.st_size
    except OSError:
        return -1, -1
