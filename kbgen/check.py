"""`kbgen check`: the rules that span articles (slugs, links, review dates) on top of parsing.

Parsing (articles.py, kb.py) reports what is wrong inside one file; this module adds what is
wrong between files, and what an editor should look at soon.
"""

from __future__ import annotations

import os
import posixpath
import re
import subprocess
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from .articles import Article
from .errors import ERROR, WARNING, Diagnostic, KbgenError
from .kb import KnowledgeBase
from .project import Project

_FENCE_RE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)
_CODE_SPAN_RE = re.compile(r"`[^`\n]+`")
_INLINE_LINK_RE = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'(][^)]*)?\)")
_REF_DEF_RE = re.compile(r"^[ ]{0,3}\[[^\]]+\]:[ \t]*<?(\S+?)>?(?:[ \t]+.*)?$", re.MULTILINE)
_SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


@dataclass
class CheckResult:
    """What `kbgen check` found, in file order."""

    kb: KnowledgeBase
    diagnostics: list[Diagnostic]

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if not d.is_error]

    def failed(self, strict: bool = False) -> bool:
        return bool(self.errors or (strict and self.warnings))

    def to_dict(self, strict: bool = False) -> dict[str, object]:
        return {
            "ok": not self.failed(strict),
            "articles": len(self.kb.articles),
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "diagnostics": [d.to_dict() for d in self.diagnostics],
        }


_MEMO: dict[tuple[Path, date], tuple[Any, CheckResult]] = {}


def kb_signature(kb_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """(path, mtime, size) of every file under kb/: equal signatures mean nothing changed."""
    found = []
    stack = [kb_dir]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))
            else:
                info = entry.stat(follow_symlinks=False)  # a link's own stamp: a dangling one is fine here
                found.append((entry.path, info.st_mtime_ns, info.st_size))
    return tuple(sorted(found))


def check(project: Project, today: date | None = None, changed_since: str | None = None) -> CheckResult:
    """Load and validate the whole knowledge base; optionally keep only files changed since a git ref.

    The result is remembered for the process while no file under kb/ changes, so `kbgen build`
    (which checks, then runs mkdocs, whose plugin checks again) reads the knowledge base once.
    """
    today = today or date.today()
    if changed_since:
        return _check(project, today, changed_since)
    key = (project.kb_dir, today)
    # the files and the plugin's options (the style rules read them)
    signature = (kb_signature(project.kb_dir), repr(sorted(project.options.items())))
    remembered = _MEMO.get(key)
    if remembered and remembered[0] == signature:
        return remembered[1]
    result = _check(project, today, None)
    _MEMO.clear()
    _MEMO[key] = (signature, result)
    return result


def check_files(project: Project, rels: set[str], today: date | None = None) -> CheckResult:
    """The knowledge base, with the problems of the files RELS (relative to the project) alone.

    For a live preview after a save: the whole knowledge base is loaded (files that did not
    change are not parsed again), but the rules run on the saved files only, so a save costs
    the same at 10 articles and at 10,000. Links from other articles to a deleted one, and
    style warnings, wait for `kbgen check` or `kbgen build`."""
    today = today or date.today()
    kb = KnowledgeBase.load(project)
    chosen = [a for a in kb.articles if a.rel in rels]
    view = KnowledgeBase(project, kb.categories, chosen)
    diagnostics = [d for d in kb.diagnostics if d.path in rels]
    diagnostics += [d for d in duplicate_slugs(kb) if d.path in rels]
    diagnostics += broken_links(kb, chosen)
    diagnostics += article_advice(view, today)
    diagnostics += live_html(view)
    diagnostics.sort(key=lambda d: (d.path, d.line, d.severity != ERROR, d.rule))
    return CheckResult(kb, diagnostics)


def _check(project: Project, today: date, changed_since: str | None) -> CheckResult:
    import gc

    # the cycle collector would walk every article again and again as the knowledge base is read
    # (a third of a cold check at 10,000 articles); checking makes no cycles worth collecting
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _check_all(project, today, changed_since)
    finally:
        if enabled:
            gc.enable()


def _check_all(project: Project, today: date, changed_since: str | None) -> CheckResult:
    style = StylePass.start(project)
    # the style rules read each article's prose where it is parsed, in the same pass
    kb = KnowledgeBase.load(project, also=style.ahead if style else None, also_needed=style.stale if style else None)
    diagnostics = list(kb.diagnostics)
    diagnostics += duplicate_slugs(kb)
    diagnostics += broken_links(kb)
    diagnostics += article_advice(kb, today)
    diagnostics += live_html(kb)
    diagnostics += style.finish(kb) if style else []
    diagnostics += reply_templates(project)
    if changed_since:
        changed = changed_files(project, changed_since)
        diagnostics = [d for d in diagnostics if d.path in changed]
    diagnostics.sort(key=lambda d: (d.path, d.line, d.severity != ERROR, d.rule))
    return CheckResult(kb, diagnostics)


def reply_templates(project: Project) -> list[Diagnostic]:
    """The team's reply templates (`kbgen ask --reply`): syntax, fields and their words' style.
    Nothing to read, and Jinja2 not imported, when the team has none of its own."""
    if not project.options.get("replies") and not project.options.get("replies_file"):
        return []
    from .reply import problems

    return problems(project)


STYLE_CACHE = "style.json"


@dataclass
class StylePass:
    """The writing-style warnings (`kbgen.style`) of published articles, unless `style: false`,
    and of drafts an editor has taken over (kbgen's drafting note gone from the body): the pull
    request that rewrites a draft gets its warnings before `promote`. A draft as kbgen wrote it
    is left alone: its words are the agents' answers, waiting for an editor.

    Reading 10,000 articles' prose costs seconds, so each article's warnings are kept in the
    cache folder by its file stamp and the style settings (a changed article, or setting, is read
    again). `ahead` reads an article as the knowledge base is loaded, in the process that parsed
    it (forked processes, one a core, on a first run); `finish` takes those, the kept ones, and
    reads whatever is left."""

    project: Project
    settings: dict[str, Any]
    signature: str
    kept: dict[str, Any]

    @classmethod
    def start(cls, project: Project) -> StylePass | None:
        """The settings and the kept warnings; None when the style check is off."""
        import hashlib
        import json

        from .jsonio import loads
        from .settings import read

        settings = read(project.options)
        if not settings["style"]:
            return None
        signature = hashlib.sha1(json.dumps({k: v for k, v in settings.items() if k.startswith("style")},
                                            sort_keys=True).encode()).hexdigest()
        try:
            kept = loads((project.cache_dir / STYLE_CACHE).read_text(encoding="utf-8"), limit=0)
            kept = kept.get("files", {}) if isinstance(kept, dict) and kept.get("settings") == signature else {}
        except (OSError, ValueError):
            kept = {}
        return cls(project, settings, signature, kept if isinstance(kept, dict) else {})

    @staticmethod
    def wanted(article: Article) -> bool:
        return article.status == "published" or (article.status == "draft" and not article.kbgen_drafting)

    def _is_kept(self, article: Article, stamp: list[int]) -> bool:
        return not self.stale(article.rel, stamp)

    def stale(self, rel: str, stamp: tuple[int, int] | list[int]) -> bool:
        """No warnings kept for the file REL with this stamp: it will be read if it is wanted."""
        entry = self.kept.get(rel)
        return not (isinstance(entry, dict) and entry.get("stamp") == list(stamp) and isinstance(entry.get("found"), list))

    def ahead(self, article: Article) -> list[Diagnostic] | None:
        """ARTICLE's warnings, or None when it is not read or its warnings are kept."""
        if not self.wanted(article) or self._is_kept(article, _stamp(article.path)):
            return None
        from .style import check_style

        return check_style(article, self.settings)

    def finish(self, kb: KnowledgeBase) -> list[Diagnostic]:
        """Every wanted article's warnings, in article order; the cache renewed."""
        import json

        articles = [a for a in kb.articles if self.wanted(a)]
        stamps = {a.rel: _stamp(a.path) for a in articles}
        fresh = [a for a in articles if not self._is_kept(a, stamps[a.rel])]
        found = {a.rel: kb.also[a.rel] for a in fresh if kb.also.get(a.rel) is not None}
        found.update(_style_of([a for a in fresh if a.rel not in found], self.settings))
        kept = self.kept
        files = {a.rel: kept[a.rel] for a in articles if a.rel not in found}
        files.update({rel: {"stamp": stamps[rel], "found": [d.__dict__ for d in warnings]} for rel, warnings in found.items()})
        if found or len(files) != len(kept):
            path = self.project.cache_dir / STYLE_CACHE
            try:
                self.project.cache_dir.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(f".{path.name}.{os.getpid()}")
                tmp.write_text(json.dumps({"settings": self.signature, "files": files}), encoding="utf-8")
                os.replace(tmp, path)
            except OSError:
                pass  # read again next time
        diagnostics: list[Diagnostic] = []
        for article in articles:
            warnings = found.get(article.rel)
            if warnings is not None:
                diagnostics += warnings
                continue
            for item in files[article.rel]["found"]:
                try:
                    diagnostics.append(Diagnostic(**item))
                except TypeError:  # a damaged cache entry: read the article again
                    diagnostics += _style_of([article], self.settings)[article.rel]
                    break
        return diagnostics


def _stamp(path: Path) -> list[int]:
    try:
        info = path.stat()
        return [info.st_mtime_ns, info.st_size]
    except OSError:
        return [0, 0]


def _style_of(articles: list[Article], settings: dict[str, Any]) -> dict[str, list[Diagnostic]]:
    """Each article's style warnings, by path; shared between forked processes when there are many."""
    from .forked import map_forked
    from .style import check_style

    return dict(zip((a.rel for a in articles), map_forked(lambda a: check_style(a, settings), articles)))


def duplicate_slugs(kb: KnowledgeBase) -> list[Diagnostic]:
    """Slugs are page addresses and note references, so two files may not share one."""
    first: dict[str, Article] = {}
    found = []
    for article in sorted(kb.articles, key=lambda a: a.rel):
        other = first.setdefault(article.slug, article)
        if other is not article:
            found.append(
                Diagnostic(
                    article.rel,
                    1,
                    ERROR,
                    "duplicate-slug",
                    f"another article already uses the file name '{article.slug}.md' ({other.rel}); "
                    "file names must be unique across the knowledge base",
                )
            )
    return found


# elements an article should never need: they run, load or send something on the published page
_RISKY_ELEMENT = re.compile(r"<(script|iframe|frame|object|embed|form|base|meta|link|style|svg)\b", re.IGNORECASE)
# attr_list's `{: onclick="..." }` (or `{ onclick=... }`) adds an event handler to the element before it
_ATTR_LIST_HANDLER = re.compile(r"\{:?[^{}\n]*\bon[a-z]+\s*=", re.IGNORECASE)


def _outside_code(body: str) -> str:
    """BODY with fenced blocks and code spans blanked (their text is shown, never run)."""
    if "```" in body or "~~~" in body:
        body = _FENCE_RE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), body)
    if "`" in body:
        body = _CODE_SPAN_RE.sub(lambda m: " " * len(m.group(0)), body)
    return body


def live_html(kb: KnowledgeBase) -> list[Diagnostic]:
    """Raw HTML in an article body that runs, loads or sends something on the public site.

    Editors are trusted (a body is theirs to write), so this is a warning (`--strict` fails on
    it): script and style, event handlers (also through attr_list), javascript: and data: URLs,
    frames, objects, forms, <base> and <meta>.
    """
    from .markup import live_markup

    found = []
    for article in kb.articles:
        if "<" not in article.body and "{" not in article.body:
            continue
        body = _outside_code(article.body)
        what = live_markup(body)
        offset = -1
        if what:
            offset = body.find("<")
        else:
            risky = _RISKY_ELEMENT.search(body) or _ATTR_LIST_HANDLER.search(body)
            if risky:
                what, offset = risky.group(0).strip(), risky.start()
        if not what:
            continue
        line = article.body_line + body.count("\n", 0, max(offset, 0))
        found.append(Diagnostic(
            article.rel, line, WARNING, "live-html",
            f"the body holds live HTML ({what}); it would run or load on the published page: write it in "
            "Markdown, or ask a developer to add it to the site's theme",
        ))
    return found


def links(body: str) -> list[tuple[str, int]]:
    """(target, offset) of every Markdown link and image in BODY, outside code."""
    has_inline, has_refs = "](" in body, "]:" in body
    if not (has_inline or has_refs):
        return []
    if "```" in body or "~~~" in body:
        body = _FENCE_RE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), body)
    if "`" in body:
        body = _CODE_SPAN_RE.sub(lambda m: " " * len(m.group(0)), body)
    found = [(m.group(1), m.start(1)) for m in _INLINE_LINK_RE.finditer(body)] if has_inline else []
    if has_refs:
        found += [(m.group(1), m.start(1)) for m in _REF_DEF_RE.finditer(body)]
    return found


def resolve_link(kb_dir: Path, article: Article, target: str) -> str | None:
    """The kb-relative path a link points to, or None for external and same-page links."""
    if target.startswith("#") or _SCHEME_RE.match(target) or target.startswith("//"):
        return None
    target = target.split("#", 1)[0].split("?", 1)[0]
    if not target:
        return None
    if target.startswith("/"):
        # a site address such as /billing/refunds/ names an article by category and slug
        parts = [p for p in target.strip("/").split("/") if p]
        if len(parts) == 2:
            return f"{parts[0]}/{parts[1].removesuffix('.md')}.md"
        return "/".join(parts)
    return posixpath.normpath(posixpath.join(article.category, target))


def broken_links(kb: KnowledgeBase, among: list[Article] | None = None) -> list[Diagnostic]:
    """Links to files that do not exist, and public articles linking to what customers cannot see
    (in the articles AMONG, by default all)."""
    kb_dir, docs_dir = kb.project.kb_dir, kb.project.docs_dir
    by_path = {a.src_uri: a for a in kb.articles}
    found = []
    for article in kb.articles if among is None else among:
        for target, offset in links(article.body):
            resolved = resolve_link(kb_dir, article, target)
            if resolved is None:
                continue
            line = article.body_line + article.body.count("\n", 0, offset)
            if resolved.startswith("../") or resolved == "..":
                found.append(
                    Diagnostic(article.rel, line, ERROR, "link-outside-kb", f"the link '{target}' points outside the knowledge base")
                )
                continue
            linked = by_path.get(resolved)
            if linked is None:
                # an image or document kept under docs/ (as `not-an-article` advises) is at the same
                # address on the site: kb/<category>/<slug>.md is <category>/<slug>.md in the docs tree
                if not (kb_dir / resolved).exists() and not (docs_dir / resolved).is_file():
                    found.append(
                        Diagnostic(
                            article.rel,
                            line,
                            ERROR,
                            "broken-link",
                            f"the link '{target}' points to kb/{resolved}, which does not exist",
                        )
                    )
                continue
            if article.is_public and not linked.is_public:
                why = linked.status if linked.status != "published" else linked.audience
                found.append(
                    Diagnostic(
                        article.rel,
                        line,
                        ERROR,
                        "link-to-hidden",
                        f"this public article links to '{linked.title}' ({linked.rel}), which is {why} and "
                        "not on the public site; remove the link or publish that article",
                    )
                )
    return found


def article_advice(kb: KnowledgeBase, today: date) -> list[Diagnostic]:
    """Warnings an editor should act on: stale reviews, odd dates, thin findability."""
    found = []
    for a in kb.articles:
        if a.status == "archived":
            continue
        if a.review_by and a.review_by < today and a.status == "published":
            found.append(
                Diagnostic(
                    a.rel,
                    a.line_of("review_by"),
                    WARNING,
                    "stale",
                    f"the review date {a.review_by.isoformat()} has passed; check the article is still right "
                    "and set a new review_by",
                    "review_by",
                )
            )
        if a.updated and a.updated > today:
            found.append(
                Diagnostic(a.rel, a.line_of("updated"), WARNING, "future-date", "'updated' is in the future", "updated")
            )
        if a.updated and a.review_by and a.review_by < a.updated:
            found.append(
                Diagnostic(
                    a.rel, a.line_of("review_by"), WARNING, "review-before-update", "'review_by' is before 'updated'", "review_by"
                )
            )
        if a.is_public and not a.summary:
            found.append(
                Diagnostic(
                    a.rel,
                    1,
                    WARNING,
                    "missing-summary",
                    "no summary: add a one-line answer; search results and `kbgen ask` show it",
                    "summary",
                )
            )
        if a.is_public and not a.questions:
            found.append(
                Diagnostic(
                    a.rel,
                    1,
                    WARNING,
                    "missing-questions",
                    "no questions: add the customers' own phrasings so search finds this article",
                    "questions",
                )
            )
        seen: set[str] = set()
        for q in a.questions:
            norm = " ".join(q.lower().split())
            if norm in seen:
                found.append(
                    Diagnostic(a.rel, a.line_of("questions"), WARNING, "duplicate-question", f"'{q}' is listed twice", "questions")
                )
            seen.add(norm)
    return found


def changed_files(project: Project, ref: str) -> set[str]:
    """Files (root-relative) that differ from git REF, including untracked ones."""
    def git(*args: str) -> list[str]:
        try:
            done = subprocess.run(
                ["git", *args], cwd=project.root, capture_output=True, text=True, check=True
            )
        except FileNotFoundError:
            raise KbgenError("--changed-since needs git, which is not installed") from None
        except subprocess.CalledProcessError as exc:
            raise KbgenError(f"git could not compare with '{ref}': {exc.stderr.strip()}") from None
        return [line for line in done.stdout.splitlines() if line]

    if ref.startswith("-"):  # git would read it as an option (`--output=FILE` writes a file)
        raise KbgenError(f"--changed-since: '{ref}' is not a git ref; give a branch, tag or commit, like origin/main")
    top = Path(git("rev-parse", "--show-toplevel")[0])
    git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    names = git("diff", "--name-only", ref, "--") + git("ls-files", "--others", "--exclude-standard", "--full-name")
    changed = set()
    for name in names:
        path = (top / name) if not Path(name).is_absolute() else Path(name)
        changed.add(project.relpath(path))
    return changed
