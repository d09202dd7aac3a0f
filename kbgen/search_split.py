"""The site's search index split by term, for help centers too large to download whole.

The theme's search downloads its whole index before the first result: 39 MB at 10,000
articles. Split, the index is a small manifest (in the theme's `search_index.json`, which keeps
the theme's format with no documents) and three kinds of pieces the browser fetches on demand:

- `terms/N.json`: the postings of a contiguous range of the sorted index terms (the manifest
  lists each range's first term), so a word, or a word being typed (a prefix), needs one or two
  pieces; per term and field, the documents and how often the term occurs there;
- `words/1-XX.json` and `words/2-XX.json`: the index terms whose first (second) character is
  XX (its code point in hex), with the number of documents each is in, for correcting typos: a
  word one edit away from a typo has the typo's first or second letter in first or second place;
- `docs/N.json`: what a result shows (title, summary, category, address, sections) for a few
  pages at a time, fetched only for the best results.

kbgen's search worker (mkdocs_plugin/assets/search-worker.js) scores with these exactly as the
theme's lunr index would (BM25 with the theme's b = 0, the same fields, boosts and rounding), so
splitting changes what is downloaded, not what is found. For that, the words are cut, trimmed,
filtered and stemmed here as the theme's worker does (Material's HTML-aware tokenizer, lunr's
trimmer, stop words and Porter stemmer, ported below). Only English indexes are split.

The one approximation: a term used in more than `cap` documents' field keeps the `cap` where it
occurs most (its true document count still weighs it), so no common word costs more than a few
kilobytes to fetch.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

FOLDERS = ("terms", "words", "docs")
SHARD_BYTES = 16_000  # a term piece's size before the next term starts a new one
CAP = 1_000  # documents kept per term and field (the ones where it occurs most)
PAGES_PER_CHUNK = 2  # result pages' display data per docs/ piece
RESULTS = 10  # pages a split search returns (the theme shows ten at first)
TEASER = 100  # characters of a section's text shown under its title

# lunr.stopWordFilter's list (lunr 2.3.9, as the theme ships it)
STOP_WORDS = frozenset(
    "a able about across after all almost also am among an and any are as at be because been but by can cannot "
    "could dear did do does either else ever every for from get got had has have he her hers him his how however "
    "i if in into is it its just least let like likely may me might most must my neither no nor not of off often "
    "on only or other our own rather said say says she should since so some than that the their them then there "
    "these they this tis to too twas us wants was we were what when where which while who whom why will with "
    "would yet you your".split()
)

_TRIM_START = re.compile(r"^\W+", re.ASCII)
_TRIM_END = re.compile(r"\W+$", re.ASCII)
_TAGS = re.compile(r"<[^>]*>")
_ANGLES = re.compile(r"[<>]")


# --- lunr's Porter stemmer (lunr.stemmer), ported line for line ---------------------------------

_STEP2 = {"ational": "ate", "tional": "tion", "enci": "ence", "anci": "ance", "izer": "ize", "bli": "ble",
          "alli": "al", "entli": "ent", "eli": "e", "ousli": "ous", "ization": "ize", "ation": "ate",
          "ator": "ate", "alism": "al", "iveness": "ive", "fulness": "ful", "ousness": "ous", "aliti": "al",
          "iviti": "ive", "biliti": "ble", "logi": "log"}
_STEP3 = {"icate": "ic", "ative": "", "alize": "al", "iciti": "ic", "ical": "ic", "ful": "", "ness": ""}
_c = "[^aeiou]"
_v = "[aeiouy]"
_C = _c + "[^aeiouy]*"
_V = _v + "[aeiou]*"
_MGR0 = re.compile("^(" + _C + ")?" + _V + _C)
_MEQ1 = re.compile("^(" + _C + ")?" + _V + _C + "(" + _V + ")?$")
_MGR1 = re.compile("^(" + _C + ")?" + _V + _C + _V + _C)
_S_V = re.compile("^(" + _C + ")?" + _v)
_1A = re.compile(r"^(.+?)(ss|i)es$")
_1A2 = re.compile(r"^(.+?)([^s])s$")
_1B = re.compile(r"^(.+?)eed$")
_1B2 = re.compile(r"^(.+?)(ed|ing)$")
_LAST = re.compile(r".$")
_1B_AT = re.compile(r"(at|bl|iz)$")
_1B_DOUBLE = re.compile(r"([^aeiouylsz])\1$")
_1B_CVC = re.compile("^" + _C + _v + "[^aeiouwxy]$")
_1C = re.compile(r"^(.+?[^aeiou])y$")
_2 = re.compile(r"^(.+?)(" + "|".join(_STEP2) + ")$")
_3 = re.compile(r"^(.+?)(" + "|".join(_STEP3) + ")$")
_4 = re.compile(r"^(.+?)(al|ance|ence|er|ic|able|ible|ant|ement|ment|ent|ou|ism|ate|iti|ous|ive|ize)$")
_4B = re.compile(r"^(.+?)(s|t)(ion)$")
_5 = re.compile(r"^(.+?)e$")
_5_LL = re.compile(r"ll$")
_5_CVC = re.compile("^" + _C + _v + "[^aeiouwxy]$")


def stem(w: str) -> str:
    """lunr's Porter stemmer: the index holds what this returns, so it must match to the letter."""
    if len(w) < 3:
        return w
    first = w[0]
    if first == "y":
        w = "Y" + w[1:]
    if _1A.search(w):
        w = _1A.sub(r"\1\2", w, count=1)
    elif _1A2.search(w):
        w = _1A2.sub(r"\1\2", w, count=1)
    if m := _1B.search(w):
        if _MGR0.search(m[1]):
            w = _LAST.sub("", w, count=1)
    elif m := _1B2.search(w):
        base = m[1]
        if _S_V.search(base):
            w = base
            if _1B_AT.search(w):
                w += "e"
            elif _1B_DOUBLE.search(w):
                w = _LAST.sub("", w, count=1)
            elif _1B_CVC.search(w):
                w += "e"
    if m := _1C.search(w):
        w = m[1] + "i"
    if (m := _2.search(w)) and _MGR0.search(m[1]):
        w = m[1] + _STEP2[m[2]]
    if (m := _3.search(w)) and _MGR0.search(m[1]):
        w = m[1] + _STEP3[m[2]]
    if m := _4.search(w):
        if _MGR1.search(m[1]):
            w = m[1]
    elif m := _4B.search(w):
        if _MGR1.search(m[1] + m[2]):
            w = m[1] + m[2]
    if m := _5.search(w):
        base = m[1]
        if _MGR1.search(base) or (_MEQ1.search(base) and not _5_CVC.search(base)):
            w = base
    if _5_LL.search(w) and _MGR1.search(w):
        w = _LAST.sub("", w, count=1)
    if first == "y":
        w = "y" + w[1:]
    return w


# --- the theme's tokenizer (Material's extract and split) ---------------------------------------

def _text_sections(value: str) -> Iterator[str]:
    """The text between HTML tags, cut exactly where Material's `extract` cuts it: at a "<" after
    some text, and after every ">" (its count of open tags only places highlights)."""
    start = 0
    for found in _ANGLES.finditer(value):
        end = found.start()
        if found[0] == "<":
            if end > start:
                yield value[start:end]
                start = end
        else:
            start = end + 1
    if len(value) > start:
        yield value[start:]


def analyzer(config: dict[str, Any]) -> Callable[[Any], list[str]]:
    """The terms the theme's worker indexes for a field's value (a string or a list of them),
    under the index's configuration (separator and pipeline)."""
    separator = re.compile(config.get("separator") or r"[\s\-]+")
    pipeline = set(config.get("pipeline") or ("trimmer", "stopWordFilter"))
    trimming, stopping, stemming = "trimmer" in pipeline, "stopWordFilter" in pipeline, "stemmer" in pipeline
    done: dict[str, str] = {}  # a word as cut: the term it becomes ("" for none)

    def term(word: str) -> str:
        if trimming:
            word = _TRIM_END.sub("", _TRIM_START.sub("", word, count=1), count=1)
        if stopping and word in STOP_WORDS:
            return ""
        return stem(word) if stemming else word

    def terms(value: Any) -> list[str]:
        out: list[str] = []
        for text in value if isinstance(value, list) else [value]:
            for section in _text_sections(str(text)):
                at = 0
                words = []
                for match in separator.finditer(section):
                    if at < match.start():
                        words.append(section[at:match.start()])
                    at = match.end()
                if at < len(section):
                    words.append(section[at:])
                for word in words:
                    found = done.get(word)
                    if found is None:
                        found = done[word] = term(word.lower())
                    if found:
                        out.append(found)
        return out

    return terms


def can_split(config: dict[str, Any]) -> bool:
    """Whether the index's configuration is one this module tokenizes as the theme does."""
    if list(config.get("lang") or ["en"]) != ["en"]:
        return False
    try:
        re.compile(config.get("separator") or r"[\s\-]+")
    except re.error:
        return False
    return True


# --- writing the pieces -----------------------------------------------------------------------

def _teaser(html: str, size: int = TEASER) -> str:
    """The start of a section's text, for under its title: tags dropped, cut at a word."""
    text = " ".join(_TAGS.sub(" ", html).split())
    if len(text) <= size:
        return text
    return text[:size].rsplit(" ", 1)[0] + " …"


def _summary(html: str) -> str:
    """What a page result shows: its first paragraph (kbgen puts the summary there), else its start."""
    found = re.match(r"\s*(<p>.*?</p>)", html, re.S)
    if found and len(found[1]) <= 4 * TEASER:
        return found[1]
    return _teaser(html, 2 * TEASER)


def _dump(path: Path, data: Any) -> int:
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return len(text.encode("utf-8"))


def remove(folder: Path) -> None:
    """Forget the pieces of an earlier split index in FOLDER (the site's search/ folder)."""
    for name in FOLDERS:
        shutil.rmtree(folder / name, ignore_errors=True)


def split(index: dict[str, Any], folder: Path, *, shard_bytes: int = SHARD_BYTES, cap: int = CAP,
          pages_per_chunk: int = PAGES_PER_CHUNK, results: int = RESULTS) -> dict[str, Any]:
    """Write INDEX (the theme's search index: config and docs) into FOLDER as pieces; return the
    manifest the worker needs (kept in the index's config as `kbgen`)."""
    config = index.get("config", {})
    fields = list(config.get("fields", {}))
    terms_of = analyzer(config)

    # pages in the order they first appear, each followed by its sections (the theme takes the
    # first document of an address as the page, the others as its sections)
    pages: dict[str, list[dict[str, Any]]] = {}
    for doc in index.get("docs", []):
        pages.setdefault(str(doc.get("location", "")).split("#", 1)[0], []).append(doc)
    docs = [doc for group in pages.values() for doc in group]

    postings: dict[str, list[dict[int, int]]] = {}
    boosts: dict[str, float] = {}
    for number, doc in enumerate(docs):
        if doc.get("boost") and doc["boost"] != 1:
            boosts[str(number)] = doc["boost"]
        for place, field in enumerate(fields):
            if doc.get(field) is None:
                continue
            for term in terms_of(doc[field]):
                lists = postings.get(term)
                if lists is None:
                    lists = postings[term] = [{} for _ in fields]
                lists[place][number] = lists[place].get(number, 0) + 1

    remove(folder)
    for name in FOLDERS:
        (folder / name).mkdir(parents=True, exist_ok=True)

    # terms: [lunr's document count (summed over fields), distinct documents, then per field a
    # flat list of document number (as the gap from the one before) and occurrences]
    bounds: list[str] = []
    shard: dict[str, Any] = {}
    size = 0
    written = 0
    by_char: dict[str, dict[str, int]] = {}
    for term in sorted(postings):
        lists = postings[term]
        counted = sum(len(found) for found in lists)
        distinct = len(set().union(*lists))
        encoded: list[Any] = [counted, distinct]
        for found in lists:
            numbers = sorted(found) if len(found) <= cap else sorted(
                sorted(found, key=lambda n: (-found[n], n))[:cap])
            flat: list[int] = []
            before = 0
            for number in numbers:
                flat += [number - before, found[number]]
                before = number
            encoded.append(flat)
        cost = len(term) + 8 + sum(len(str(v)) + 1 for field in encoded[2:] for v in field)
        if shard and size + cost > shard_bytes:
            written += _dump(folder / "terms" / f"{len(bounds) - 1}.json", shard)
            shard, size = {}, 0
        if not shard:
            bounds.append(term)
        shard[term] = encoded
        size += cost
        by_char.setdefault(f"1-{ord(term[0]):x}", {})[term] = distinct
        if len(term) > 1:
            by_char.setdefault(f"2-{ord(term[1]):x}", {})[term] = distinct
    if shard:
        written += _dump(folder / "terms" / f"{len(bounds) - 1}.json", shard)
    for key, words in by_char.items():
        _dump(folder / "words" / f"{key}.json", words)

    # display data: per page [address, title, text, tags, [[anchor, title, teaser], ...]]
    chunk: list[Any] = []
    sections: list[int] = []
    for number, (page, group) in enumerate(pages.items()):
        head = group[0]
        shown = [str(head.get("location", "")), head.get("title", ""), _summary(str(head.get("text", ""))),
                 head.get("tags") or [],
                 [[str(d.get("location", ""))[len(page):], d.get("title", ""), _teaser(str(d.get("text", "")))]
                  for d in group[1:]]]
        chunk.append(shown)
        sections.append(len(group) - 1)
        if len(chunk) == pages_per_chunk:
            _dump(folder / "docs" / f"{number // pages_per_chunk}.json", chunk)
            chunk = []
    if chunk:
        _dump(folder / "docs" / f"{(len(pages) - 1) // pages_per_chunk}.json", chunk)

    manifest: dict[str, Any] = {
        "documents": len(docs),
        "fields": [[name, (config["fields"][name] or {}).get("boost") or 1] for name in fields],
        "bounds": bounds,
        "sections": _counts(sections),
        "chunk": pages_per_chunk,
        "results": results,
    }
    if boosts:
        manifest["boosts"] = boosts
    digest = hashlib.sha1(json.dumps(manifest, sort_keys=True).encode()).hexdigest()[:10]
    manifest["version"] = digest  # asked with every piece, so a rebuilt site is never read from an old cache
    return manifest


_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-"


def _counts(numbers: list[int]) -> str:
    """Each page's number of sections as one character (0-9, a-z, A-Z, _, -: up to 63), or
    '.' and the number in decimal and '.' for more."""
    return "".join(_DIGITS[n] if n < len(_DIGITS) else f".{n}." for n in numbers)
