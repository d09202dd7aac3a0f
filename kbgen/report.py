"""`kbgen report`: the coverage report as data, and its renderings (Markdown, HTML, terminal).

`build` turns a `gaps.Coverage` into one plain dictionary; every rendering reads only that, so
the JSON, the pull-request comment and the charts always tell the same story. Note text, search
queries and vote reasons are untrusted: Markdown escapes them and HTML goes through
`html.escape`, so a question can never become a live link, tag or script.
"""

from __future__ import annotations

import html
from datetime import date
from typing import Any

from .escape import markdown_inline, terminal
from .gaps import Coverage
from .kpis import articles_to_fix, kpis, stale_articles, waiting_drafts
from .kb import KnowledgeBase


def build(coverage: Coverage, kb: KnowledgeBase, today: date, filters: dict[str, Any], min_size: int = 1) -> dict[str, Any]:
    """The whole report as JSON-ready data."""
    gaps = [g for g in coverage.gaps if g.shown(min_size)]
    category = filters.get("category")
    drafts = [a for a in waiting_drafts(kb) if not category or a.category == category]
    options = kb.project.options
    rule = {"min_votes": int(options.get("report_min_votes", 5)), "unhelpful_share": float(options.get("report_unhelpful_share", 0.5))}
    return {
        "as_of": today.isoformat(),
        "filters": filters,
        "kpis": kpis(coverage, kb, today, min_size, category),
        "gaps": [g.to_dict() for g in gaps],
        "findability": [e.to_dict() for e in coverage.findable],
        "articles_to_fix": articles_to_fix(coverage.feedback, kb, rule["min_votes"], rule["unhelpful_share"], category),
        "articles_to_fix_rule": rule,
        "deflection": [d.to_dict() for d in coverage.deflection],
        "stale": [
            {
                "slug": a.slug,
                "title": a.title,
                "category": a.category,
                "review_by": a.review_by.isoformat(),
                "days_overdue": (today - a.review_by).days,
                "owner": a.owner,
                "path": a.rel,
            }
            for a in stale_articles(kb, today)
            if not category or a.category == category
        ],
        "drafts": [
            {
                "slug": a.slug,
                "title": a.title,
                "category": a.category,
                "path": a.rel,
                "gap_id": a.gap_id,
                "notes": len(a.source_notes),
            }
            for a in drafts
        ],
    }


def _count(n: int, word: str) -> str:
    plural = "es" if word.endswith(("ch", "sh", "s", "x")) else "s"
    return f"{n:,} {word}{plural * (n != 1)}"


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def _days(value: float | None) -> str:
    return "–" if value is None else f"{value:g} days"


def headline(report: dict[str, Any]) -> list[tuple[str, str]]:
    k = report["kpis"]
    return [
        ("Questions logged", f"{k['notes']:,}"),
        ("Already answered when logged", _share(k["answered_share"])),
        ("Open notes", f"{k['open_notes']:,}"),
        ("Answered now, not found (findability)", f"{k['findability_notes']:,}"),
        # a drafted gap is still a gap for customers: open until its article is published
        ("Open gaps", f"{k['open_gaps'] + k.get('gaps_in_draft', 0):,}"
                      + (f": {k['open_gaps']:,} to write ({k['gap_notes']:,} notes{_alone(k)}), {k['gaps_in_draft']:,} in draft"
                         if k.get("gaps_in_draft") else f" ({k['gap_notes']:,} notes{_alone(k)})")),
        ("Notes per week", f"{k['notes_per_week']:g}"),
        ("Median time from first note to article", _days(k["median_days_to_article"])),
        ("Articles past review date", f"{k['stale_articles']:,}"),
        ("Drafts waiting", f"{k['drafts_waiting']:,}"),
    ] + signal_lines(k)


def _alone(k: dict[str, Any]) -> str:
    """How many open gaps are customers' searches alone, as a clause ("" when none)."""
    return f"; {k['search_only_gaps']:,} from searches alone" if k.get("search_only_gaps") else ""


def searched_only(gap: dict[str, Any]) -> str:
    """The words marking a gap of searches alone beside its title ("" for a gap with notes)."""
    return "searches only, no note" if gap.get("search_only") else ""


def signal_lines(k: dict[str, Any]) -> list[tuple[str, str]]:
    """The site's signals as headline figures, when it sent any."""
    lines = []
    if k.get("failed_searches"):
        contact = f" ({k['failed_searches_contact']:,} ended on contact support)" if k.get("failed_searches_contact") else ""
        lines.append(("Failed searches on the site", f"{k['failed_searches']:,}{contact}: {k['failed_searches_in_gaps']:,} in gaps, "
                      f"{k['failed_searches_findable']:,} answered but not found, {k['failed_searches_alone']:,} in no gap"))
    if k.get("votes"):
        lines.append(("Rated helpful", f"{_share(k['helpful_share'])} of {_count(k['votes'], 'vote')}"))
    return lines


def verdict_words(entry: dict[str, Any]) -> str:
    """A deflection entry's verdict with its change, in words."""
    change = entry["change"]
    return entry["verdict"] + ("" if change is None or entry["verdict"] == "too early" else f" ({change * 100:+.0f}%)")


def category_rows(report: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """The by-category figures as table cells, busiest category first."""
    rows = sorted(report["kpis"]["by_category"].items(), key=lambda item: (-item[1]["notes"], item[0]))
    return [
        (
            name,
            [f"{r['notes']:,}", _share(r["answered_share"]), f"{r['findability_notes']:,}", f"{r['in_gaps']:,}",
             f"{r['drafted']:,}", f"{r['closed']:,}", f"{r['open_gaps']:,}", f"{r['stale']:,}", f"{r['drafts']:,}",
             _share(r.get("helpful_share")) + (f" of {r['votes']:,}" if r.get("votes") else "")],
        )
        for name, r in rows
    ]


# --- Markdown ---------------------------------------------------------------------------------

def md(text: str) -> str:
    """Untrusted text as inert Markdown (one line): see `kbgen.escape.markdown_inline`."""
    return markdown_inline(text)


def to_markdown(report: dict[str, Any], top: int = 20) -> str:
    """A report that fits a pull-request comment or a CI job summary."""
    out = [f"## Help center coverage, {report['as_of']}", ""]
    filters = ", ".join(f"{k} {v}" for k, v in report["filters"].items() if v not in (None, "", 1))
    if filters:
        out += [f"Filtered: {md(filters)}", ""]
    out += ["| | |", "| --- | ---: |"]
    out += [f"| {name} | {value} |" for name, value in headline(report)]
    out.append("")
    rows = category_rows(report)
    if rows:
        out += ["| Category | Notes | Answered when logged | Findability | In gaps | Drafted | Closed | Open gaps | Stale | Drafts | Helpful |",
                "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        out += [f"| {md(name)} | {' | '.join(cells)} |" for name, cells in rows]
        out.append("")

    gaps = report["gaps"]
    out += [f"### Top gaps ({len(gaps)})", ""]
    if gaps:
        out += ["| # | Question | Notes | Agents | Searches | Last seen | Category | Gap |",
                "| ---: | --- | ---: | ---: | ---: | --- | --- | --- |"]
        for g in gaps[:top]:
            alone = f" _({searched_only(g)})_" if g.get("search_only") else ""
            out.append(
                f"| {g['rank']} | {md(g['title'])}{alone} | {g['size']} | {len(g['agents'])} | {g['searches']} | {g['last_seen'][:10]} "
                f"| {md(g['category']) or '–'} | `{g['id']}` |"
            )
        if len(gaps) > top:
            out.append(f"\n…and {len(gaps) - top} more (`kbgen report --json` lists all).")
        alone = [g for g in gaps[:top] if g.get("search_only")]
        if alone:
            out += ["", "Customers searched for these and found nothing; no agent logged them (write the article, or log "
                    "a note with the answer for `kbgen draft`):", ""]
            out += [f"- `{g['id']}` ({g['searches']:,} search{'es' * (g['searches'] != 1)}): " + "; ".join(md(q) for q in g["search_queries"][:5])
                    for g in alone]
    else:
        out.append("No open gaps.")
    out.append("")

    found = report["findability"]
    out += [f"### Findability: answered, but not in the customers' words ({len(found)})", ""]
    if found:
        out.append("Add these phrasings to the article's `questions` (`kbgen report --apply-findability` does it):")
        out.append("")
        for entry in found[:top]:
            searches = f", {_count(entry['searches'], 'failed search')}" if entry["searches"] else ""
            out.append(f"- **{md(entry['title'])}** (`{entry['slug']}`, {_count(entry['size'], 'note')}{searches})")
            out += [f"  - {md(p)}" for p in entry["phrasings"][:8]] or (
                ["  - (its phrasings already cover these notes)"] if entry["size"] else [])
            if entry["search_queries"]:
                out.append("  - searched for: " + "; ".join(md(q) for q in entry["search_queries"][:5]))
        if len(found) > top:
            out.append(f"\n…and {len(found) - top} more articles (`kbgen report --json` lists all).")
    else:
        out.append("None.")
    out.append("")

    fix = report["articles_to_fix"]
    rule = report["articles_to_fix_rule"]
    out += [f"### Articles to fix: rated unhelpful ({len(fix)})", ""]
    if fix:
        out += [f"At least {_count(rule['min_votes'], 'vote')}, {_share(rule['unhelpful_share'])} or more of them \"not helpful\":", ""]
        for f in fix[:top]:
            out.append(f"- **{md(f['title'] or f['slug'])}** (`{f['path'] or f['slug']}`): {f['unhelpful']} of {f['votes']} "
                       f"votes not helpful ({_share(f['unhelpful_share'])})")
            out += [f"  - {md(r)}" for r in f["reasons"][:5]]
    else:
        out.append("None.")
    out.append("")

    deflection = report["deflection"]
    out += [f"### Did the article work? Questions per week before and after publishing ({len(deflection)})", ""]
    if deflection:
        out += ["| Article | Published | Before: days, notes, searches | A week before | Since: days, notes, searches | A week since | Verdict |",
                "| --- | --- | --- | ---: | --- | ---: | --- |"]
        for d in deflection[:top]:
            b, a = d["before"], d["after"]
            out.append(f"| {md(d['title'])} (`{d['slug']}`) | {d['published']} | {b['days']:g}, {b['notes']}, {b['searches']} "
                       f"| {b['per_week']:g} | {a['days']:g}, {a['notes']}, {a['searches']} | {a['per_week']:g} | {verdict_words(d)} |")
    else:
        out.append("No article was published for a gap in this window.")
    out.append("")

    out += [f"### Articles past their review date ({len(report['stale'])})", ""]
    out += [f"- {md(s['title'])} (`{s['path']}`): review by {s['review_by']}, {s['days_overdue']} days over" for s in report["stale"]] or ["None."]
    out.append("")
    out += [f"### Drafts waiting ({len(report['drafts'])})", ""]
    out += [f"- {md(d['title'])} (`{d['path']}`)" + (f": gap {md(d['gap_id'])}, {_count(d['notes'], 'note')}, open until published"
                                                      if d["gap_id"] else "") for d in report["drafts"]] or ["None."]
    return "\n".join(out) + "\n"


# --- HTML with charts -------------------------------------------------------------------------


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _bar_chart(title: str, labels: list[str], values: list[int], chart_id: str) -> str:
    """Vertical bars as inline SVG (no script, no network): one bar a label."""
    width, height, pad = 720, 220, 30
    top = max(values, default=0) or 1
    step = (width - 2 * pad) / max(len(values), 1)
    bars = []
    for i, (label, value) in enumerate(zip(labels, values)):
        h = (height - 2 * pad) * value / top
        x = pad + i * step
        bars.append(
            f'<g class="bar"><title>{_e(label)}: {value}</title>'
            f'<rect x="{x + 2:.1f}" y="{height - pad - h:.1f}" width="{max(step - 4, 1):.1f}" height="{h:.1f}"></rect>'
            f'<text class="value" x="{x + step / 2:.1f}" y="{height - pad - h - 4:.1f}">{value}</text>'
            f'<text class="label" x="{x + step / 2:.1f}" y="{height - pad + 14:.1f}">{_e(label[-3:])}</text></g>'
        )
    return (
        f'<figure class="chart" id="{chart_id}"><figcaption>{_e(title)}</figcaption>'
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{_e(title)}">'
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}"></line>{"".join(bars)}</svg></figure>'
    )


def _stacked_rows(title: str, rows: list[tuple[str, list[int]]], parts: list[str], chart_id: str) -> str:
    """Horizontal stacked bars as inline SVG: one row a label, one colour a part."""
    width, row_h, label_w = 720, 26, 250
    rows = [(label if len(label) <= 33 else label[:32] + "…", values) for label, values in rows if sum(values)]
    height = row_h * len(rows) + 30
    top = max((sum(v) for _, v in rows), default=0) or 1
    body = []
    for i, (label, values) in enumerate(rows):
        y = 24 + i * row_h
        x = float(label_w)
        body.append(f'<text class="row-label" x="{label_w - 8}" y="{y + 15}">{_e(label)}</text>')
        for part, value in zip(parts, values):
            w = (width - label_w - 40) * value / top
            if value:
                body.append(
                    f'<rect class="part-{_e(part)}" x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row_h - 6}">'
                    f"<title>{_e(label)}: {value} {_e(part)}</title></rect>"
                )
            x += w
        body.append(f'<text class="value" x="{x + 6:.1f}" y="{y + 15}">{sum(values)}</text>')
    legend = "".join(f'<span class="key part-{_e(p)}"></span>{_e(p)} ' for p in parts)
    return (
        f'<figure class="chart" id="{chart_id}"><figcaption>{_e(title)}<span class="legend">{legend}</span></figcaption>'
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{_e(title)}">{"".join(body)}</svg></figure>'
    )


def _paired_rows(title: str, rows: list[tuple[str, float, float]], chart_id: str) -> str:
    """Two horizontal bars a label as inline SVG: a figure before (grey) and after (blue)."""
    width, row_h, label_w = 720, 40, 250
    rows = [(label if len(label) <= 33 else label[:32] + "…", before, after) for label, before, after in rows]
    height = row_h * len(rows) + 30
    top = max((max(b, a) for _, b, a in rows), default=0) or 1
    body = []
    for i, (label, before, after) in enumerate(rows):
        y = 24 + i * row_h
        body.append(f'<text class="row-label" x="{label_w - 8}" y="{y + 19}">{_e(label)}</text>')
        for j, (part, value) in enumerate((("before", before), ("after", after))):
            w = (width - label_w - 60) * value / top
            body.append(
                f'<rect class="part-{part}" x="{label_w}" y="{y + j * 17}" width="{w:.1f}" height="15">'
                f"<title>{_e(label)}: {value:g} a week {part}</title></rect>"
                f'<text class="value" x="{label_w + w + 6:.1f}" y="{y + j * 17 + 12}">{value:g}</text>'
            )
    legend = "".join(f'<span class="key part-{p}"></span>{p} ' for p in ("before", "after"))
    return (
        f'<figure class="chart" id="{chart_id}"><figcaption>{_e(title)}<span class="legend">{legend}</span></figcaption>'
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{_e(title)}">{"".join(body)}</svg></figure>'
    )


_CSS = """
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
main{max-width:980px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 8px}
.muted{color:#59636e}
.kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:12px;margin:16px 0}
.kpi{background:#fff;border:1px solid #d1d9e0;border-radius:8px;padding:12px}
.kpi b{display:block;font-size:22px}
.chart{background:#fff;border:1px solid #d1d9e0;border-radius:8px;margin:16px 0;padding:12px}
.chart figcaption{font-weight:600;margin-bottom:6px}
.chart svg{width:100%;height:auto;display:block}
.chart rect{fill:#4051b5}.chart line{stroke:#8c959f}
.chart text{font-size:11px;fill:#59636e;text-anchor:middle}
.chart text.row-label{text-anchor:end;font-size:12px;fill:#1f2328}.chart text.value{text-anchor:start}
.chart .bar text.value{text-anchor:middle}
rect.part-before{fill:#8c959f}rect.part-after{fill:#4051b5}.key.part-before{background:#8c959f}.key.part-after{background:#4051b5}
rect.part-closed{fill:#2da44e}rect.part-drafted{fill:#8250df}rect.part-findability{fill:#d4a72c}rect.part-gaps{fill:#cf222e}
.legend{font-weight:400;margin-left:12px;font-size:13px}
.key{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px;border-radius:2px}
.key.part-closed{background:#2da44e}.key.part-drafted{background:#8250df}.key.part-findability{background:#d4a72c}.key.part-gaps{background:#cf222e}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #d1d9e0}
th,td{padding:6px 8px;border-bottom:1px solid #d1d9e0;text-align:left;vertical-align:top}
td.n{text-align:right}code{font-size:13px;white-space:nowrap}
details{margin:2px 0}summary{cursor:pointer}
"""


def to_html(report: dict[str, Any], top: int = 20) -> str:
    """One self-contained page: KPIs, the charts, the ranked gaps and the lists."""
    k = report["kpis"]
    kpi_cards = "".join(f'<div class="kpi"><span class="muted">{_e(n)}</span><b>{_e(v)}</b></div>' for n, v in headline(report))
    weekly = _bar_chart("Notes logged per week", [w["week"] for w in k["weekly"]], [w["notes"] for w in k["weekly"]], "chart-weekly")
    cats = [(name, [r["closed"], r["drafted"], r["findability_notes"], r["in_gaps"]]) for name, r in k["by_category"].items()]
    coverage = _stacked_rows(
        "Notes by category: closed, drafted, answered but not found, in gaps", cats,
        ["closed", "drafted", "findability", "gaps"], "chart-coverage",
    )
    gaps = report["gaps"]
    top_gaps = _stacked_rows(
        "Top gaps (notes)", [(g["title"], [g["size"]]) for g in gaps[:10]], ["gaps"], "chart-gaps"
    )
    gap_rows = "".join(
        f"<tr><td class=n>{g['rank']}</td><td><details><summary>{_e(g['title'])}"
        + (f" <span class=muted>({_e(searched_only(g))})</span>" if g.get("search_only") else "") + "</summary><ul>"
        + "".join(f"<li>{_e(p)}</li>" for p in g["phrasings"][:12])
        + "</ul>"
        + (f"<p class=muted>Agents answered: {_e(g['answers'][0])}</p>" if g["answers"] else "")
        + (f"<p class=muted>Customers searched: {_e('; '.join(g['search_queries'][:8]))}</p>" if g["search_queries"] else "")
        + f"</details></td><td class=n>{g['size']}</td><td class=n>{len(g['agents'])}</td><td class=n>{g['searches']}</td>"
        f"<td>{_e(g['last_seen'][:10])}</td>"
        f"<td>{_e(g['category'] or '–')}</td><td><code>{_e(g['id'])}</code></td></tr>"
        for g in gaps[:top]
    )
    more = f"<p class=muted>…and {len(gaps) - top} more (kbgen report --json lists all).</p>" if len(gaps) > top else ""
    find_rows = "".join(
        f"<tr><td><a href=\"{_e(f['url'])}\">{_e(f['title'])}</a><br><code>{_e(f['slug'])}</code></td><td class=n>{f['size']}</td>"
        f"<td class=n>{f['searches']}</td>"
        f"<td><ul>{''.join(f'<li>{_e(p)}</li>' for p in f['phrasings'][:8])}</ul>"
        + (f"<p class=muted>Searched for: {_e('; '.join(f['search_queries'][:5]))}</p>" if f["search_queries"] else "")
        + "</td></tr>"
        for f in report["findability"]
    )
    rule = report["articles_to_fix_rule"]
    fix_rows = "".join(
        f"<tr><td>{_e(f['title'] or f['slug'])}<br><code>{_e(f['path'] or f['slug'])}</code></td><td class=n>{f['unhelpful']} of {f['votes']}"
        f" ({_e(_share(f['unhelpful_share']))})</td><td><ul>{''.join(f'<li>{_e(r)}</li>' for r in f['reasons'][:8])}</ul></td></tr>"
        for f in report["articles_to_fix"][:top]
    )
    deflection = report["deflection"]
    worked = _paired_rows(
        "Did the article work? Questions a week on its topic, before and after publishing",
        [(d["title"], d["before"]["per_week"], d["after"]["per_week"]) for d in deflection[:10]], "chart-deflection",
    ) if deflection else ""
    deflection_rows = "".join(
        f"<tr><td>{_e(d['title'])}<br><code>{_e(d['slug'])}</code></td><td>{_e(d['published'])}</td>"
        f"<td class=n>{d['before']['days']:g} days: {d['before']['notes']}, {d['before']['searches']} ({d['before']['per_week']:g} a week)</td>"
        f"<td class=n>{d['after']['days']:g} days: {d['after']['notes']}, {d['after']['searches']} ({d['after']['per_week']:g} a week)</td>"
        f"<td>{_e(verdict_words(d))}</td></tr>"
        for d in deflection[:top]
    )
    stale_rows = "".join(
        f"<tr><td>{_e(s['title'])}</td><td><code>{_e(s['path'])}</code></td><td>{_e(s['review_by'])}</td><td class=n>{s['days_overdue']}</td></tr>"
        for s in report["stale"]
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Help center coverage, {_e(report['as_of'])}</title><style>{_CSS}</style></head>
<body><main>
<h1>Help center coverage</h1><p class="muted">As of {_e(report['as_of'])}. Made by <code>kbgen report</code>.</p>
<section class="kpis">{kpi_cards}</section>
{weekly}{coverage}
<h2>Top gaps ({len(gaps)})</h2>{top_gaps}
<table><thead><tr><th>#</th><th>Question (click for phrasings)</th><th>Notes</th><th>Agents</th><th>Searches</th><th>Last seen</th><th>Category</th><th>Gap</th></tr></thead>
<tbody>{gap_rows or '<tr><td colspan=8>No open gaps.</td></tr>'}</tbody></table>{more}
<h2>Findability ({len(report['findability'])})</h2>
<p class="muted">Articles that answer these questions, which customers asked in other words: add the phrasings to the article's <code>questions</code>.</p>
<table><thead><tr><th>Article</th><th>Notes</th><th>Failed searches</th><th>Phrasings to add</th></tr></thead>
<tbody>{find_rows or '<tr><td colspan=4>None.</td></tr>'}</tbody></table>
<h2>Articles to fix: rated unhelpful ({len(report['articles_to_fix'])})</h2>
<p class="muted">At least {rule['min_votes']} "Was this helpful?" votes, {_e(_share(rule['unhelpful_share']))} or more of them "no", with the reasons customers gave.</p>
<table><thead><tr><th>Article</th><th>Not helpful</th><th>Reasons</th></tr></thead>
<tbody>{fix_rows or '<tr><td colspan=3>None.</td></tr>'}</tbody></table>
<h2>Did the article work? ({len(deflection)})</h2>
<p class="muted">Notes and failed searches on each published article's topic, per week, before and since it was published.</p>
{worked}
<table><thead><tr><th>Article</th><th>Published</th><th>Before: notes, searches</th><th>Since: notes, searches</th><th>Verdict</th></tr></thead>
<tbody>{deflection_rows or '<tr><td colspan=5>No article was published for a gap in this window.</td></tr>'}</tbody></table>
<h2>Past their review date ({len(report['stale'])})</h2>
<table><thead><tr><th>Article</th><th>File</th><th>Review by</th><th>Days over</th></tr></thead>
<tbody>{stale_rows or '<tr><td colspan=4>None.</td></tr>'}</tbody></table>
</main></body></html>
"""


# --- terminal ---------------------------------------------------------------------------------


def to_terminal(report: dict[str, Any], console: Any, top: int = 10) -> None:
    """The rich view: headline figures, a weekly sparkline, the top gaps and findability."""
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    def safe(text: str) -> Any:
        """Untrusted text as a rich Text: never read as markup, no terminal controls."""
        return Text(terminal(text))

    figures = Table.grid(padding=(0, 2))
    figures.add_column(style="dim")
    figures.add_column(justify="right", style="bold")
    for name, value in headline(report):
        figures.add_row(name, value)
    weekly = report["kpis"]["weekly"]
    if weekly:
        peak = max(w["notes"] for w in weekly) or 1
        blocks = "▁▂▃▄▅▆▇█"
        spark = "".join(blocks[min(len(blocks) - 1, round(w["notes"] / peak * (len(blocks) - 1)))] for w in weekly)
        figures.add_row("Weekly notes", Text(f"{spark}  {weekly[0]['week']} → {weekly[-1]['week']}", style="cyan"))
    console.print(Panel(figures, title=f"Help center coverage, {report['as_of']}", expand=False))
    rows = category_rows(report)
    if rows:
        from rich import box

        by_category = Table(title="By category", title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1))
        by_category.add_column("Category", overflow="fold", min_width=12)
        # the terminal keeps to 80 columns: drafted and closed counts are in the other renderings
        keep = (0, 1, 2, 3, 6, 7, 8)
        for column in ("Notes", "Answered\nwhen logged", "Findable", "In gaps", "Open\ngaps", "Stale", "Drafts"):
            by_category.add_column(column, justify="right")
        for name, cells in rows:
            by_category.add_row(safe(name), *(cells[i] for i in keep))
        console.print(by_category)

    gaps = report["gaps"]
    table = Table(title=f"Top gaps ({len(gaps)})", title_justify="left", show_lines=False)
    table.add_column("#", justify="right")
    table.add_column("Question", ratio=1)
    table.add_column("Notes", justify="right")
    table.add_column("Agents", justify="right")
    searched = any(g["searches"] for g in gaps)
    if searched:
        table.add_column("Searches", justify="right")
    table.add_column("Last seen", no_wrap=True)
    table.add_column("Category", overflow="fold")
    table.add_column("Gap", no_wrap=True, min_width=12)
    for g in gaps[:top]:
        title = g["title"] + (f" ({searched_only(g)})" if g.get("search_only") else "")
        table.add_row(str(g["rank"]), safe(title), str(g["size"]), str(len(g["agents"])),
                      *([str(g["searches"])] if searched else []), safe(g["last_seen"][:10]), safe(g["category"] or "–"), safe(g["id"]))
    console.print(table)
    if len(gaps) > top:
        console.print(f"[dim]…and {len(gaps) - top} more: --top N, or --json for all.[/dim]")

    if report["findability"]:
        found = Table(title="Findability: add these phrasings to the article's questions", title_justify="left")
        found.add_column("Article")
        found.add_column("Notes", justify="right")
        searched = any(e["searches"] for e in report["findability"])
        if searched:
            found.add_column("Searches", justify="right")
        found.add_column("Phrasings")
        for entry in report["findability"][:top]:
            found.add_row(safe(f"{entry['title']}\n{entry['slug']}"), str(entry["size"]), *([str(entry["searches"])] if searched else []),
                          safe("\n".join(entry["phrasings"][:4])))
        console.print(found)
        hidden = len(report["findability"]) - top
        more = f"…and {hidden} more articles (--top N, or --json for all). " if hidden > 0 else ""
        console.print(f"[dim]{more}kbgen report --apply-findability adds them all and marks those notes resolved.[/dim]")
    if report["articles_to_fix"]:
        fix = Table(title="Articles to fix: rated unhelpful", title_justify="left")
        fix.add_column("Article")
        fix.add_column("Not helpful", justify="right")
        fix.add_column("Reasons")
        for f in report["articles_to_fix"][:top]:
            fix.add_row(safe(f"{f['title'] or f['slug']}\n{f['path'] or f['slug']}"), f"{f['unhelpful']} of {f['votes']}",
                        safe("\n".join(f["reasons"][:4])))
        console.print(fix)
    if report["deflection"]:
        worked = Table(title="Did the article work? Questions a week on its topic", title_justify="left")
        worked.add_column("Article")
        worked.add_column("Published", no_wrap=True)
        worked.add_column("A week\nbefore", justify="right")
        worked.add_column("A week\nsince", justify="right")
        worked.add_column("Verdict")
        for d in report["deflection"][:top]:
            worked.add_row(safe(f"{d['title']}\n{d['slug']}"), d["published"], f"{d['before']['per_week']:g}",
                           f"{d['after']['per_week']:g}", safe(verdict_words(d)))
        console.print(worked)
    if report["stale"]:
        console.print(safe("Past their review date: " + ", ".join(s["path"] for s in report["stale"])))
