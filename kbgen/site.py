"""What the customers' site shows, independent of the site builder.

From a loaded knowledge base this computes the public pages (articles, categories, home
page sections), related articles and the Markdown of each generated page. The mkdocs plugin
only hands these to mkdocs; another builder could use them as they are.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .articles import Article
from .escape import html_attr, html_text, markdown_inline
from .kb import Category, KnowledgeBase

_WORD_RE = re.compile(r"[a-z0-9]+")
KEYWORDS = 10  # the rarest terms of an article that are used to find its related articles
_STOP = frozenset(
    "a an and are as at be but by can do does for from how i if in is it my of on or so that the "
    "this to was what when where which who why will with you your me we our can't cant dont don't "
    "not no get use using".split()
)


SIBLINGS = 8  # the category's other articles listed beside an article

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
TAGS_PAGE = "tags"
# where a listing page's list goes when a builder adds it after the Markdown is converted: lists
# of thousands of links are HTML already, and cost seconds to pass through a Markdown converter
LISTING_MARKER = "<!-- kbgen:listing -->"


def human_date(day: date) -> str:
    """'3 March 2026': read the same way everywhere, unlike 03/04/2026."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def tag_anchor(tag: str) -> str:
    """The tags page's anchor for TAG: letters and digits of its lower case, joined by '-'."""
    return "tag-" + ("-".join(re.findall(r"[^\W_]+", tag.lower())) or "x")


def structured_data(article: Article, url: str, site_name: str) -> list[dict[str, Any]]:
    """schema.org data for search engines: the article, and its question with the summary as the
    accepted answer and the customers' phrasings as other names of the same question."""
    data: list[dict[str, Any]] = [{
        "@context": "https://schema.org", "@type": "Article", "headline": article.title,
        **({"description": article.summary} if article.summary else {}),
        **({"dateModified": article.updated.isoformat()} if article.updated else {}),
        **({"url": url} if url else {}),
        **({"publisher": {"@type": "Organization", "name": site_name}} if site_name else {}),
        **({"keywords": ", ".join(article.tags)} if article.tags else {}),
    }]
    if article.summary:
        question: dict[str, Any] = {"@type": "Question", "name": article.title,
                                    "acceptedAnswer": {"@type": "Answer", "text": article.summary}}
        if article.questions:
            question["alternateName"] = list(article.questions)
        data.append({"@context": "https://schema.org", "@type": "FAQPage", "mainEntity": [question]})
    return data


def terms(text: str) -> set[str]:
    """Content words of TEXT, for matching related articles (crude plural folding)."""
    found = set()
    for word in _WORD_RE.findall(text.lower()):
        if word in _STOP or len(word) < 3:
            continue
        if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        found.add(word)
    return found


@dataclass
class CategoryView:
    """A category as the site shows it: its settings and its public articles."""

    category: Category
    articles: list[Article] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.category.name

    @property
    def title(self) -> str:
        return self.category.title


@dataclass
class PageChanges:
    """What a live preview must render again after the knowledge base changed (`SiteModel.updated`).

    Article pages are named by their source address (`<category>/<slug>.md`)."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    articles: list[str] = field(default_factory=list)  # pages to render again, changed ones first
    categories: set[str] = field(default_factory=set)  # category pages whose listing changed
    listings: bool = False  # the home page and the tags page list a changed title or summary
    navigation: bool = False  # the set of categories changed: every page's navigation with it

    @property
    def pages(self) -> int:
        return len(self.articles) + len(self.categories) + 2 * self.listings


def _listed(article: Article) -> tuple[object, ...]:
    """What other pages show of an article: a change here renders its listings again."""
    return (article.title, article.summary, tuple(article.tags), article.category, article.is_public)


@dataclass
class SiteModel:
    """The public pages of a knowledge base and the links between them."""

    kb: KnowledgeBase
    categories: list[CategoryView]
    articles: list[Article]
    related: dict[str, list[Article]]
    index: RelatedIndex | None = field(default=None, repr=False)

    @staticmethod
    def _pages(kb: KnowledgeBase) -> tuple[list[Article], list[CategoryView]]:
        public = sorted(kb.public_articles(), key=lambda a: (a.category, a.title.lower(), a.slug))
        seen: set[str] = set()
        unique = []
        for article in public:  # a duplicate slug is a check error; never emit two pages
            if article.src_uri not in seen:
                seen.add(article.src_uri)
                unique.append(article)
        views = {c.name: CategoryView(c) for c in kb.ordered_categories()}
        for article in unique:
            views[article.category].articles.append(article)
        return unique, [v for v in views.values() if v.articles]

    @classmethod
    def build(cls, kb: KnowledgeBase, related_count: int = 5) -> SiteModel:
        unique, categories = cls._pages(kb)
        index = RelatedIndex(unique, related_count)
        return cls(kb, categories, unique, index.related(), index)

    def updated(self, kb: KnowledgeBase) -> tuple[SiteModel, PageChanges]:
        """The site of KB, reusing what this one computed for articles that did not change, and
        the pages whose content that changes: each changed, added or removed article; the pages
        that list one whose title, summary, tags or category changed (its category pages, the
        home and tags pages, the articles that name it among their related articles or beside
        them in their category). Other articles keep their related articles until a full build."""
        articles, categories = self._pages(kb)
        old = {a.src_uri: a for a in self.articles}
        new = {a.src_uri: a for a in articles}
        changes = PageChanges()
        changes.removed = [uri for uri in old if uri not in new]
        changes.added = [uri for uri in new if uri not in old]
        edited = [uri for uri in new if uri in old and old[uri] is not new[uri] and old[uri] != new[uri]]
        relisted = {old[uri].slug for uri in changes.removed} | {new[uri].slug for uri in changes.added}
        relisted |= {new[uri].slug for uri in edited if _listed(old[uri]) != _listed(new[uri])}
        for slug in relisted:
            for article in (a for a in (*old.values(), *new.values()) if a.slug == slug):
                changes.categories.add(article.category)
        changes.listings = bool(relisted)
        changes.navigation = [(v.name, v.title) for v in categories] != [(v.name, v.title) for v in self.categories]

        assert self.index is not None
        index = self.index
        gone = {old[uri].slug for uri in changes.removed}
        fresh = [new[uri] for uri in changes.added + edited]
        index.replace(gone, fresh, articles)
        by_slug = {a.slug: a for a in articles}
        replaced = gone | {a.slug for a in fresh}  # slugs whose article object is new or gone
        touched = relisted | gone  # slugs whose listing (title, summary, ...) changed
        listers: list[str] = []  # articles that list a replaced one among their related articles
        for slug, others in self.related.items():
            for other in others:
                if other.slug in replaced:
                    listers.append(slug)
                    break
        related = dict(self.related)
        for slug in gone:
            related.pop(slug, None)
        render = [new[uri].src_uri for uri in changes.added + edited]
        shown = set(render)
        for slug in listers:
            article = by_slug.get(slug)
            if article is None or slug in gone:
                continue
            before = related[slug]
            if any(other.slug in gone for other in before):
                related[slug] = index.related_to(slug)
            else:
                related[slug] = [by_slug[other.slug] for other in before]
            if any(other.slug in touched for other in before) and article.src_uri not in shown:
                render.append(article.src_uri)
                shown.add(article.src_uri)
        for article in fresh:
            related[article.slug] = index.related_to(article.slug)
        site = SiteModel(kb, categories, articles, related, index)

        before_views = {v.name: v for v in self.categories}
        for view in categories:  # the first few of a category are listed beside each of its articles
            if view.name in changes.categories:
                first = [(a.slug, a.title) for a in view.articles[: SIBLINGS + 1]]
                previous = before_views.get(view.name)
                if previous is None or first != [(a.slug, a.title) for a in previous.articles[: SIBLINGS + 1]]:
                    for article in view.articles:
                        if article.src_uri not in shown:
                            render.append(article.src_uri)
                            shown.add(article.src_uri)
        changes.articles = render
        return site, changes

    def category(self, name: str) -> CategoryView | None:
        return next((c for c in self.categories if c.name == name), None)

    def featured(self, slugs: list[str], count: int) -> list[Article]:
        """The home page's articles: the team's choice (`featured`), else one per category in turn,
        each category's first first. Never ranked by the number of phrasings: a new article with
        many phrasings is not thereby popular."""
        by_slug = {a.slug: a for a in self.articles}
        chosen = [by_slug[s] for s in slugs if s in by_slug]
        if chosen:
            return chosen[:count]
        queues = [list(view.articles) for view in self.categories]
        while len(chosen) < count and any(queues):
            for queue in queues:
                if queue and len(chosen) < count:
                    chosen.append(queue.pop(0))
        return chosen

    # --- generated Markdown ---------------------------------------------------------------

    def article_markdown(self, article: Article, template: str) -> str:
        """The page source of an article: its body under its title, with the summary as description.

        The theme prints `title` and `description` from the page's meta without escaping (into
        `<title>`, the header and `<meta content="...">`), so they are given as escaped HTML; the
        heading is inert Markdown. Front matter never becomes markup."""
        meta = [f"template: {template}", "hide: [navigation]", "title: " + _yaml_text(html_text(_one_line(article.title)))]
        if article.summary:
            meta.append("description: " + _yaml_text(html_attr(article.summary)))
        return "---\n" + "\n".join(meta) + "\n---\n\n# " + _md_heading(article.title) + "\n\n" + article.body.strip() + "\n"

    def category_markdown(self, view: CategoryView, template: str, listing: bool = True) -> str:
        """A category page: title, description and every article with its summary (without
        LISTING, a `LISTING_MARKER` stands where the list goes: see `category_listing`)."""
        lines = ["---", f"template: {template}", "title: " + _yaml_text(html_text(_one_line(view.title)))]
        if view.category.description:
            lines.append("description: " + _yaml_text(html_attr(view.category.description)))
        lines += ["---", "", "# " + _md_heading(view.title), ""]
        if view.category.description:
            lines += [markdown_inline(view.category.description), ""]
        lines += [self.category_listing(view) if listing else LISTING_MARKER, ""]
        return "\n".join(lines)

    def category_listing(self, view: CategoryView) -> str:
        """A category's articles with their summaries, as HTML."""
        lines = ['<ul class="kbgen-article-list">']
        for article in view.articles:
            lines.append(
                f'<li><a href="{article.slug}/">{html_text(article.title)}</a>'
                + (f"<p>{html_text(article.summary)}</p>" if article.summary else "")
                + "</li>"
            )
        lines.append("</ul>")
        return "\n".join(lines)

    def tags(self) -> dict[str, list[Article]]:
        """Each tag (as first written) with its articles, tags in alphabetical order."""
        found: dict[str, list[Article]] = {}
        names: dict[str, str] = {}
        for article in self.articles:
            for tag in dict.fromkeys(article.tags):
                key = tag.lower()
                names.setdefault(key, tag)
                found.setdefault(key, []).append(article)
        return {names[key]: found[key] for key in sorted(found)}

    def tags_markdown(self, template: str, listing: bool = True) -> str:
        """The tags page: every tag as a heading (its anchor from `tag_anchor`) over its articles
        (without LISTING, a `LISTING_MARKER` stands where they go: see `tags_listing`)."""
        lines = ["---", f"template: {template}", 'title: "Topics by tag"', "---", "", "# Topics by tag", ""]
        return "\n".join(lines) + "\n" + (self.tags_listing() if listing else LISTING_MARKER + "\n")

    def tags_listing(self) -> str:
        """Every tag as a heading over its articles, as HTML."""
        lines = []
        for tag, articles in self.tags().items():
            lines.append(f'<h2 id="{tag_anchor(tag)}">{html_text(tag)}</h2>')
            lines.append('<ul class="kbgen-article-list">')
            lines += [f'<li><a href="../{a.url_path}">{html_text(a.title)}</a></li>' for a in articles]
            lines += ["</ul>", ""]
        return "\n".join(lines)

    def search_html(self) -> str:
        """The home page's search box. Without script it asks the theme's search through the
        address (`?q=`); kbgen.js opens the theme's search instead, with what was typed."""
        return (
            '<form class="kbgen-hero-search" role="search" action="." method="get">'
            '<label for="kbgen-hero-q">Search the help center</label>'
            '<div><input id="kbgen-hero-q" name="q" type="search" autocomplete="off" '
            'placeholder="Describe your question, e.g. I was charged twice">'
            '<button type="submit" class="md-button md-button--primary">Search</button></div></form>'
        )

    def categories_html(self, base: str) -> str:
        """Cards for the home page: each category with its description and article count."""
        cards = []
        for view in self.categories:
            count = len(view.articles)
            cards.append(
                f'<a class="kbgen-card" href="{base}{view.name}/">'
                f"<strong>{html_text(view.title)}</strong>"
                + (f"<span>{html_text(view.category.description)}</span>" if view.category.description else "")
                + f'<small>{count} article{"s" * (count != 1)}</small></a>'
            )
        return '<div class="kbgen-cards">\n' + "\n".join(cards) + "\n</div>"

    def articles_html(self, articles: list[Article], base: str) -> str:
        items = [
            f'<li><a href="{base}{a.url_path}">{html_text(a.title)}</a>'
            + (f"<p>{html_text(a.summary)}</p>" if a.summary else "")
            + "</li>"
            for a in articles
        ]
        return '<ul class="kbgen-article-list">\n' + "\n".join(items) + "\n</ul>"


def related_articles(articles: list[Article], count: int) -> dict[str, list[Article]]:
    """For each article, up to COUNT others sharing tags or title/question terms, same category first."""
    return RelatedIndex(articles, count).related()


class RelatedIndex:
    """Related articles: up to COUNT others sharing tags or title/question terms, same category first.

    Candidates come from inverted indexes over tags and each article's rarest terms (postings
    longer than a cap are skipped), so the work per article is bounded and the whole stays
    linear at tens of thousands of articles. The indexes can be updated one article at a time,
    so a live preview finds an edited article's related articles without reading the others.
    """

    CAP = 64  # a term or tag shared by more articles than this says little about relatedness

    def __init__(self, articles: list[Article], count: int) -> None:
        self.count = count
        self.articles: dict[str, Article] = {}
        self._terms: dict[str, set[str]] = {}
        self._tags: dict[str, set[str]] = {}
        self._by_term: dict[str, set[str]] = defaultdict(set)
        self._by_tag: dict[str, set[str]] = defaultdict(set)
        self._order: list[str] = []  # slugs in site order (category, title), for filling up
        for article in articles:
            self._add(article)
        self.set_order(articles)

    def _add(self, article: Article) -> None:
        slug = article.slug
        self.articles[slug] = article
        self._tags[slug] = {t.lower() for t in article.tags}
        self._terms[slug] = terms(article.title + " " + " ".join(article.questions) + " " + article.summary)
        for tag in self._tags[slug]:
            self._by_tag[tag].add(slug)
        for word in self._terms[slug]:
            self._by_term[word].add(slug)

    def _remove(self, slug: str) -> None:
        self.articles.pop(slug, None)
        for tag in self._tags.pop(slug, set()):
            self._by_tag[tag].discard(slug)
        for word in self._terms.pop(slug, set()):
            postings = self._by_term[word]
            postings.discard(slug)
            if not postings:
                del self._by_term[word]

    def replace(self, removed: set[str], added: list[Article], order: list[Article]) -> None:
        """Forget the articles with slugs REMOVED, index ADDED, and take ORDER as the site's order."""
        for slug in removed:
            self._remove(slug)
        for article in added:
            self._remove(article.slug)
            self._add(article)
        self.set_order(order)

    def set_order(self, order: list[Article]) -> None:
        self._order = [a.slug for a in order]
        self._by_category: dict[str, list[str]] = defaultdict(list)
        for article in order:
            self._by_category[article.category].append(article.slug)

    def related(self) -> dict[str, list[Article]]:
        total = max(len(self.articles), 1)
        idf = {w: math.log(1 + total / len(ids)) for w, ids in self._by_term.items()}
        return {slug: self.related_to(slug, idf) for slug in self._order}

    def related_to(self, slug: str, idf: dict[str, float] | None = None) -> list[Article]:
        article = self.articles[slug]
        total = max(len(self.articles), 1)
        if idf is None:
            idf = {w: math.log(1 + total / len(self._by_term[w])) for w in self._terms[slug]}
        keywords = sorted(self._terms[slug], key=lambda w: (-idf[w], w))[:KEYWORDS]
        scores: Counter[str] = Counter()
        for tag in self._tags[slug]:
            ids = self._by_tag[tag]
            if len(ids) <= self.CAP:
                for other in ids:
                    scores[other] += 3.0
        for word in keywords:
            ids = self._by_term[word]
            if len(ids) <= self.CAP:
                for other in ids:
                    scores[other] += idf[word]
        scores.pop(slug, None)
        for other in list(scores):
            if self.articles[other].category == article.category:
                scores[other] += 1.5
        ranked = sorted(scores, key=lambda o: (-scores[o], self.articles[o].title.lower(), o))[: self.count]
        if len(ranked) < self.count:  # fill from the same category, in title order
            for other in self._by_category[article.category]:
                if other != slug and other not in ranked:
                    ranked.append(other)
                    if len(ranked) == self.count:
                        break
        return [self.articles[o] for o in ranked]


def _yaml_text(value: str) -> str:
    """A one-line YAML string, quoted so that no editor text can change the page's settings."""
    import json

    return json.dumps(" ".join(value.split()), ensure_ascii=False)


def _one_line(text: str) -> str:
    return " ".join(text.split()) or "Untitled"


def _md_heading(title: str) -> str:
    """A title as inert Markdown after '# ' (one line; '#' is escaped, so none is eaten as a closing mark)."""
    return markdown_inline(_one_line(title))
