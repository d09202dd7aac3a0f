"""The built demo site, as customers get it: pages, search index, and nothing that must stay hidden."""

from __future__ import annotations

import json
from html import escape, unescape
import re
import subprocess
import sys
from pathlib import Path

from kbgen.escape import html_text
from kbgen.kb import KnowledgeBase
from kbgen.site import human_date, tag_anchor
from tests.conftest import ROOT, KbBuilder, assert_clean_failure, run_kbgen


def site_text_files(site: Path) -> list[Path]:
    return [p for p in site.rglob("*") if p.suffix in {".html", ".json", ".xml", ".js", ".txt"} and "assets" not in p.parts]


def test_every_public_article_has_a_page(demo_site: Path, demo_kb: KnowledgeBase) -> None:
    public = demo_kb.public_articles()
    assert len(public) >= 30
    for article in public:
        page = demo_site / article.category / article.slug / "index.html"
        assert page.is_file(), article.rel
        html = page.read_text(encoding="utf-8")
        assert "<h1 id=" in html and re.search(r"<title>[^<]*</title>", html)
        assert "Still need help?" in html
        if article.updated:
            assert f'Updated <time datetime="{article.updated.isoformat()}">{human_date(article.updated)}</time>' in html


def test_hidden_articles_appear_nowhere(demo_site: Path, demo_kb: KnowledgeBase) -> None:
    hidden = [a for a in demo_kb.articles if not a.is_public]
    assert {a.status for a in hidden} >= {"draft", "archived"} and any(a.audience == "internal" for a in hidden)
    corpus = {p: p.read_text(encoding="utf-8", errors="replace") for p in site_text_files(demo_site)}
    sitemap = (demo_site / "sitemap.xml").read_text()
    for article in hidden:
        assert not (demo_site / article.category / article.slug).exists(), article.rel
        assert f"/{article.slug}/" not in sitemap
        for path, text in corpus.items():
            assert article.title not in text, f"{article.rel}: title leaked into {path}"
            assert f"{article.category}/{article.slug}" not in text, f"{article.rel}: link leaked into {path}"


def test_phrasings_are_indexed_with_stemming(demo_site: Path, demo_kb: KnowledgeBase) -> None:
    index = json.loads((demo_site / "search" / "search_index.json").read_text())
    assert "stemmer" in index["config"]["pipeline"]
    assert re.split(index["config"]["separator"], "charged twice??") == ["charged", "twice", ""]
    fields = index["config"]["fields"]
    assert fields["title"]["boost"] > fields["questions"]["boost"] > fields["text"]["boost"]
    by_location = {d["location"]: d for d in index["docs"]}
    for article in demo_kb.public_articles():
        entry = by_location[article.url_path]
        assert entry["text"].startswith(f"<p>{html_text(article.summary)}</p>"), article.rel  # answers first
        titles = {c.name: c.title for c in demo_kb.ordered_categories()}
        assert entry["tags"] == [html_text(titles[article.category])]
        words = entry["questions"].split()
        assert len(words) == len(set(words)), f"{article.rel}: a word counted twice outweighs other articles"
        for phrasing in article.questions:
            assert set(phrasing.lower().split()) <= set(words), (article.rel, phrasing)
    # the words customers use for what the help center calls by another name
    assert fields["questions"]["boost"] > fields["synonyms"]["boost"] > fields["text"]["boost"]
    assert "membership" in by_location["billing/cancel-subscription/"]["title_synonyms"].split()  # "subscription"
    assert "signin" in by_location["account-and-sign-in/cant-sign-in/"]["title_synonyms"].split()  # "sign in"
    assert "passcode" in by_location["account-and-sign-in/cant-sign-in/"]["synonyms"].split()  # "password", in its text
    # the synonyms of the title's words weigh as a phrasing does, the others' less
    assert fields["questions"]["boost"] == fields["title_synonyms"]["boost"] > fields["synonyms"]["boost"]
    sso = by_location["account-and-sign-in/sso-sign-in/"]
    assert "okta" in sso["title_synonyms"].split() and "okta" not in sso.get("synonyms", "").split()


def test_search_index_holds_answers_not_navigation(demo_site: Path, demo_kb: KnowledgeBase) -> None:
    index = json.loads((demo_site / "search" / "search_index.json").read_text())
    locations = [d["location"] for d in index["docs"]]
    assert not [loc for loc in locations if loc == "" or loc.startswith("#") or loc.startswith("tags/")]
    for category in demo_kb.ordered_categories():
        entries = [d for d in index["docs"] if d["location"].split("#")[0] == f"{category.name}/"]
        assert len(entries) == 1 and "#" not in entries[0]["location"], category.name
        assert entries[0]["text"] == escape(category.description or "", quote=False)


def test_site_search_goes_through_kbgens_worker(demo_site: Path) -> None:
    html = (demo_site / "billing" / "charged-twice-refunds" / "index.html").read_text()
    config = json.loads(re.search(r'<script id="__config" type="application/json">(.*?)</script>', html, re.S)[1])
    worker, _, theme = config["search"].partition("?theme=")
    assert worker == "../../assets/javascripts/workers/kbgen-search.js" and re.fullmatch(r"search\.[0-9a-f]+\.min\.js", theme)
    assert (demo_site / "assets" / "javascripts" / "workers" / theme).is_file()
    assert "importScripts" in (demo_site / "assets" / "javascripts" / "workers" / "kbgen-search.js").read_text()


def test_category_pages_list_articles_with_summaries(demo_site: Path, demo_kb: KnowledgeBase) -> None:
    for category in demo_kb.ordered_categories():
        html = (demo_site / category.name / "index.html").read_text()
        assert category.title in html
        for article in demo_kb.articles_in(category.name):
            assert f'href="{article.slug}/"' in html
            assert f"<p>{escape(article.summary)}</p>" in html


def test_home_page_shows_categories_with_counts_and_featured_articles(demo_site: Path, demo_kb: KnowledgeBase) -> None:
    html = (demo_site / "index.html").read_text()
    for category in demo_kb.ordered_categories():
        count = len(demo_kb.articles_in(category.name))
        assert re.search(rf'href="{category.name}/".*?{count} articles?</small>', html, re.S), category.name
    assert html.count('class="kbgen-article-list"') == 1 and "kbgen:featured" not in html


def test_navigation_lists_categories_not_articles(demo_site: Path, demo_kb: KnowledgeBase) -> None:
    html = (demo_site / "billing" / "charged-twice-refunds" / "index.html").read_text()
    nav = html[html.index('<nav class="md-nav md-nav--primary') :]
    nav = nav[: nav.index("</nav>")]
    for category in demo_kb.ordered_categories():
        assert category.title in nav
    other = [a for a in demo_kb.public_articles() if a.category == "troubleshooting"]
    assert all(f"{a.slug}/" not in nav for a in other)


def test_article_page_has_related_articles_and_breadcrumb(demo_site: Path) -> None:
    html = (demo_site / "billing" / "charged-twice-refunds" / "index.html").read_text()
    crumbs = html[html.index('class="kbgen-breadcrumb"'):]
    crumbs = crumbs[: crumbs.index("</nav>")]
    assert re.findall(r'<a href="([^"]*)">([^<]*)</a>', crumbs) == [("../..", "Home"), ("../", "Billing")]
    related = html[html.index('class="kbgen-related"') :]
    assert len(re.findall(r"<li><a href=", related[: related.index("</aside>")])) == 5
    siblings = html[html.index('class="kbgen-related kbgen-siblings"') :]
    assert ">More in Billing</h2>" in siblings and re.search(r'<li><a href="\.\./[a-z-]+/">', siblings)
    assert 'href="../../contact-support/contact-us/"' in html


def test_article_tags_link_to_the_tags_page(demo_site: Path, demo_kb: KnowledgeBase) -> None:
    article = demo_kb.by_slug()["reset-password"]
    html = (demo_site / article.category / article.slug / "index.html").read_text()
    tags_page = (demo_site / "tags" / "index.html").read_text()
    for tag in article.tags:
        assert f'<a href="../../tags/#{tag_anchor(tag)}">{escape(tag)}</a>' in html
        section = tags_page[tags_page.index(f'id="{tag_anchor(tag)}"'):]
        assert "reset-password/" in section[: section.index("</ul>")]


def test_article_page_tells_search_engines_and_link_previews_what_it_answers(demo_site: Path, demo_kb: KnowledgeBase) -> None:
    article = demo_kb.by_slug()["reset-password"]
    html = (demo_site / article.category / article.slug / "index.html").read_text()
    og = {name: unescape(value) for name, value in re.findall(r'<meta property="og:(\w+)" content="([^"]*)">', html)}
    assert og == {"type": "article", "title": article.title, "description": article.summary,
                  "url": f"https://help.cos.example/{article.url_path}", "site_name": "COS Help Center"}
    found = [json.loads(m) for m in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)]
    assert [d["@type"] for d in found] == ["Article", "FAQPage"]
    assert found[0]["headline"] == article.title and found[0]["dateModified"] == article.updated.isoformat()
    question = found[1]["mainEntity"][0]
    assert question["name"] == article.title and question["acceptedAnswer"]["text"] == article.summary
    assert question["alternateName"] == article.questions
    robots = (demo_site / "robots.txt").read_text()
    assert "Sitemap: https://help.cos.example/sitemap.xml" in robots


def test_footer_shows_the_teams_links_not_the_themes_credit(demo_site: Path) -> None:
    html = (demo_site / "index.html").read_text()
    footer = html[html.index('<div class="md-copyright">'):]
    footer = footer[: footer.index("</footer>")]
    assert "Made with" not in footer and "COS Inc." in footer
    assert '<a href="https://cos.example/privacy">Privacy</a>' in footer and ">Contact support</a>" in footer


def test_not_found_page_offers_search_and_categories(demo_site: Path) -> None:
    html = (demo_site / "404.html").read_text()
    assert "Page not found" in html and 'for="__search"' in html
    assert 'href="/billing/"' in html  # absolute, from site_url, so it works at any depth


def test_failed_search_offers_contact_with_the_query(demo_site: Path) -> None:
    script = (demo_site / "assets" / "kbgen" / "kbgen.js").read_text()
    assert '"contact_url": "contact-support/contact-us/"' in script and '"param": "question"' in script


def test_plain_mkdocs_build_works(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(ROOT / "mkdocs.yml"), "-d", str(tmp_path / "s")],
        capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "s" / "billing" / "charged-twice-refunds" / "index.html").is_file()


def test_build_refuses_on_errors_and_keeps_the_previous_site(kb: KbBuilder) -> None:
    kb.article("basics/good.md", "Good", summary="s", questions=["q"])
    assert run_kbgen("build", cwd=kb.root).code == 0
    page = kb.root / "site" / "basics" / "good" / "index.html"
    before = page.read_bytes()
    kb.write("basics/bad.md", "---\ntitle: Bad\nstatus: nope\n---\nBody\n")
    result = run_kbgen("build", cwd=kb.root)
    assert_clean_failure(result)
    assert "kb/basics/bad.md:3 (status)" in result.stderr and "not building" in result.stderr
    assert page.read_bytes() == before

    plain = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q"], cwd=kb.root, capture_output=True, text=True)
    assert plain.returncode == 1 and "kb/basics/bad.md:3 (status)" in plain.stderr


def test_docs_file_in_the_way_of_an_article_is_an_error(kb: KbBuilder) -> None:
    kb.article("basics/good.md", "Good", summary="s", questions=["q"])
    (kb.root / "docs" / "basics").mkdir()
    (kb.root / "docs" / "basics" / "good.md").write_text("# Shadow\n")
    result = run_kbgen("build", cwd=kb.root)
    assert_clean_failure(result)
    assert "docs/basics/good.md is in the way" in result.stderr


def test_hostile_front_matter_stays_inert_in_structured_data_and_link_previews(kb: KbBuilder) -> None:
    title = 'Refunds </script><script>alert(1)</script> "quoted"'
    summary = '0;url=//evil.example/x" http-equiv="refresh <img src=x onerror=alert(2)>'
    kb.article("basics/hostile.md", title, summary=summary, questions=["</script><b>x</b>"], tags=["<i>t</i>"])
    assert run_kbgen("build", cwd=kb.root).code == 0
    html = (kb.root / "site" / "basics" / "hostile" / "index.html").read_text()
    assert "<script>alert(1)" not in html and "<img src=x" not in html and "<i>t</i>" not in html
    assert 'http-equiv="refresh' not in html
    found = [json.loads(m) for m in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)]
    assert found[0]["headline"] == title and found[1]["mainEntity"][0]["alternateName"] == ["</script><b>x</b>"]
    described = re.findall(r'<meta property="og:description" content="([^"]*)">', html)
    assert [unescape(value) for value in described] == [summary]


def test_without_a_choice_the_home_page_features_one_article_per_category_in_turn(demo_kb: KnowledgeBase) -> None:
    from kbgen.site import SiteModel

    site = SiteModel.build(demo_kb)
    chosen = site.featured([], 8)
    firsts = [view.articles[0] for view in site.categories]
    assert chosen[: len(firsts)] == firsts[:8]
    assert site.featured(["reset-password", "no-such-article"], 8) == [demo_kb.by_slug()["reset-password"]]


def test_dates_read_the_same_everywhere_and_tag_anchors_are_plain() -> None:
    from datetime import date

    assert human_date(date(2026, 3, 3)) == "3 March 2026"
    assert tag_anchor("Sign-in & SSO") == "tag-sign-in-sso" and tag_anchor("<>") == "tag-x"


def test_without_api_url_no_article_asks_was_this_helpful(demo_site: Path) -> None:
    html = (demo_site / "billing" / "charged-twice-refunds" / "index.html").read_text()
    assert "kbgen-feedback" not in html and "signals.js" not in html
    assert not (demo_site / "assets" / "kbgen" / "signals.js").exists()


def test_with_api_url_every_article_asks_was_this_helpful(kb: KbBuilder) -> None:
    kb.article("basics/first-steps.md", "First steps", summary="Start here.")
    config = kb.root / "mkdocs.yml"
    config.write_text(config.read_text() + '      api_url: "https://kb-api.example.test/team/"\n')
    assert run_kbgen("build", cwd=kb.root).code == 0
    html = (kb.root / "site" / "basics" / "first-steps" / "index.html").read_text()
    assert '<section class="kbgen-feedback" aria-labelledby="kbgen-feedback-title" data-slug="first-steps" hidden>' in html
    assert 'role="status" aria-live="polite"' in html and '<label for="kbgen-feedback-reason">' in html
    assert "assets/kbgen/signals.js" in html
    script = (kb.root / "site" / "assets" / "kbgen" / "signals.js").read_text()
    assert 'var config = {"api_url": "https://kb-api.example.test/team/"};' in script
    home = (kb.root / "site" / "index.html").read_text()
    assert "kbgen-feedback" not in home  # articles only


def test_a_small_index_stays_whole_and_a_large_one_is_split_by_term(kb: KbBuilder, demo_site: Path) -> None:
    whole = json.loads((demo_site / "search" / "search_index.json").read_text())
    assert whole["docs"] and "kbgen" not in whole["config"]  # the demo's 99 KB: as before
    assert not (demo_site / "search" / "terms").exists()
    for number in range(3):
        kb.article(f"basics/a{number}.md", f"Refund number {number}", summary="Money back.", questions=["get my money back"])
    config = kb.root / "mkdocs.yml"
    config.write_text(config.read_text().replace("  - kbgen:\n", "  - kbgen:\n      search_split_kb: 0\n"))
    assert run_kbgen("build", cwd=kb.root).code == 0
    search = kb.root / "site" / "search"
    index = json.loads((search / "search_index.json").read_text())
    manifest = index["config"]["kbgen"]
    assert index["docs"] == [] and index["config"]["fields"]["questions"] == {"boost": 500}
    assert manifest["documents"] == 4 and [name for name, _ in manifest["fields"]][:2] == ["title", "text"]
    assert len(list((search / "terms").glob("*.json"))) == len(manifest["bounds"])
    shown = [page for piece in sorted((search / "docs").glob("*.json")) for page in json.loads(piece.read_text())]
    assert sorted(page[0] for page in shown) == ["basics/", "basics/a0/", "basics/a1/", "basics/a2/"]
    # built again under the threshold, the index is whole again and the pieces go
    config.write_text(config.read_text().replace("search_split_kb: 0", "search_split_kb: 512"))
    assert run_kbgen("build", cwd=kb.root).code == 0
    assert json.loads((search / "search_index.json").read_text())["docs"]
    assert not (search / "terms").exists() and not (search / "docs").exists()


def test_with_the_themes_offline_plugin_the_index_stays_whole(kb: KbBuilder) -> None:
    """Opened from disk, the theme's search reads its index from a script and cannot fetch pieces."""
    kb.article("basics/a.md", "Refunds", summary="Money back.", questions=["get my money back"])
    config = kb.root / "mkdocs.yml"
    config.write_text(config.read_text().replace("  - kbgen:\n", "  - offline\n  - kbgen:\n      search_split_kb: 0\n"))
    assert run_kbgen("build", cwd=kb.root).code == 0
    index = json.loads((kb.root / "site" / "search" / "search_index.json").read_text())
    assert index["docs"] and "kbgen" not in index["config"]
    assert not (kb.root / "site" / "search" / "terms").exists()
