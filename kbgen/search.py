"""The search index behind `kbgen ask` and `kbgen log`: the only module that imports whoosh.

One whoosh index in the git-ignored cache folder, built from published articles (public and
internal), brought up to date incrementally: each `Searcher.open` compares the files under kb/
with a manifest and re-indexes only what changed. A corrupt or stale index is rebuilt with a
warning. Swapping the engine means rewriting this module and nothing else.

Ranking: BM25F over the customers' phrasings and the title (stemmed), a character n-gram field
over the same text for typos and word variants, and the body at a low weight. The score is
divided by the query's self-score (what a document made of exactly the query would get), so
the "answered" threshold means the same thing for short and long questions.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import sys
import types
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Iterator

from .jsonio import loads
from .project import Project

if TYPE_CHECKING:
    from .articles import Article

SCHEMA_VERSION = 2  # 2: the manifest records the index files, so a damaged one is noticed
INDEX_DIR = "search"
MANIFEST = "manifest.json"

# Ranking settings, chosen on CLINC150 train/validation (benchmarks/lookup_quality.py).
SETTINGS: dict[str, float] = {
    "questions_boost": 1.0,
    "title_boost": 1.0,
    "ngram_boost": 0.3,
    "body_boost": 0.05,
    "B": 0.75,
    "K1": 1.2,
    "candidates": 50,
    "word_budget": 4_000,  # stop adding rare-first query words past this many postings
    "ngram_budget": 3_000,
    "body_budget": 4_000,
    "threshold": 0.70,  # normalized score at or above which a question counts as answered: 92% of
    # correct top-1 answers on CLINC150 train (beyond the phrasings used) + val are above it
}
SNIPPET_CHARS = 240


@dataclass
class Hit:
    """One article that may answer a question."""

    slug: str
    title: str
    category: str
    url: str
    score: float
    snippet: str
    audience: str

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["score"] = round(self.score, 4)
        return data


@dataclass
class Answer:
    question: str
    answered: bool
    hits: list[Hit]

    def to_dict(self) -> dict[str, Any]:
        return {"question": self.question, "answered": self.answered, "results": [h.to_dict() for h in self.hits]}


def _import_whoosh() -> None:
    """Import whoosh without the modules it loads but never uses on our path.

    whoosh.compat imports urllib.request (http.client, ssl, email: ~20 ms) for one unused
    function, and whoosh.query the English morphology tables (~10 ms) for a query type we do
    not use; stand-ins that import the real thing on first use keep agents' commands fast.
    """
    if "whoosh.index" in sys.modules:
        return
    stubs = {}
    for name, attrs in (("urllib.request", ("urlretrieve",)), ("whoosh.lang.morph_en", ("variations",))):
        if name not in sys.modules:
            module = types.ModuleType(name)
            for attr in attrs:
                def lazy(*args: Any, _name: str = name, _attr: str = attr, **kwargs: Any) -> Any:
                    import importlib

                    sys.modules.pop(_name, None)
                    return getattr(importlib.import_module(_name), _attr)(*args, **kwargs)

                setattr(module, attr, lazy)
            sys.modules[name] = stubs[name] = module
    try:
        import whoosh.analysis  # noqa: F401
        import whoosh.fields  # noqa: F401
        import whoosh.index  # noqa: F401
    finally:
        for name, module in stubs.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]


_import_whoosh()

from whoosh import fields  # noqa: E402
from whoosh import index as whoosh_index  # noqa: E402
from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer, StemFilter  # noqa: E402


class CharNgramFilter(Filter):  # type: ignore[misc]
    """Character 3- and 4-grams of each word, padded with spaces, at index and query time alike."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CharNgramFilter)

    def __call__(self, tokens: Iterable[Any]) -> Iterator[Any]:
        for token in tokens:
            word = f" {token.text} "
            for size in (3, 4):
                for start in range(len(word) - size + 1):
                    token.text = word[start : start + size]
                    yield token


def _analyzers() -> tuple[Any, Any]:
    words = RegexTokenizer(r"\w+(?:'\w+)?") | LowercaseFilter() | StemFilter()
    ngrams = RegexTokenizer(r"\w+") | LowercaseFilter() | CharNgramFilter()
    return words, ngrams


def _schema() -> Any:
    words, ngrams = _analyzers()
    return fields.Schema(
        path=fields.ID(stored=True, unique=True),  # kb-relative source file
        slug=fields.ID(stored=True),
        category=fields.ID(stored=True),
        audience=fields.ID(stored=True),
        title=fields.TEXT(analyzer=words, phrase=False, stored=True),
        questions=fields.TEXT(analyzer=words, phrase=False),
        ngrams=fields.TEXT(analyzer=ngrams, phrase=False),
        body=fields.TEXT(analyzer=words, phrase=False),
        summary=fields.STORED(),
        passages=fields.STORED(),
    )


def _passages(body: str) -> list[str]:
    """Plain-text paragraphs of a body, for snippets when an article has no summary."""
    text = re.sub(r"```.*?```", " ", body, flags=re.S)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[#>*_`|]+", " ", text)
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if len(p.split()) >= 4][:40]


def _document(article: Article) -> dict[str, Any]:
    phrasings = "\n".join(article.questions)
    return {
        "path": article.src_uri,
        "slug": article.slug,
        "category": article.category,
        "audience": article.audience,
        "title": article.title,
        "questions": phrasings,
        "ngrams": article.title + "\n" + phrasings,
        "body": article.body,
        "summary": article.summary,
        "passages": [] if article.summary else _passages(article.body),
    }


def _indexable(article: Article | None) -> bool:
    """Published articles, public or internal: internal hits are marked for agents."""
    return article is not None and article.status == "published" and bool(article.title)


class Searcher:
    """An open, up-to-date index and the settings to rank with."""

    def __init__(self, project: Project, index: Any, settings: dict[str, float] | None = None,
                 store: IndexStore | None = None):
        self.project = project
        self.settings = {**SETTINGS, **(settings or {})}
        self.index = index
        self.store = store
        self.terms = TermScores(index.reader(), self.settings["B"], self.settings["K1"])
        self.site_words = frozenset(stem_words(project.site_name))  # the product's name asks nothing

    @classmethod
    def open(
        cls,
        project: Project,
        on_warning: Callable[[str], None] | None = None,
        settings: dict[str, float] | None = None,
    ) -> Searcher:
        """The index for PROJECT, updated first for whatever changed under kb/ since last time."""
        store = IndexStore(project, on_warning or (lambda message: None))
        return cls(project, store.up_to_date(), settings, store)

    def _recovering(self, read: Callable[[], Any]) -> Any:
        """READ, and once more on a rebuilt index if a damaged segment made it fail."""
        try:
            return read()
        except Exception as exc:  # whoosh raises many kinds (struct.error, EOFError, zlib.error...)
            if self.store is None:
                raise
            self.store.warn(f"the search index was damaged ({type(exc).__name__}); rebuilding it")
            self.terms.reader.close()
            self.index = self.store.rebuild()
            self.terms = TermScores(self.index.reader(), self.settings["B"], self.settings["K1"])
            return read()

    def close(self) -> None:
        self.terms.reader.close()

    def whoosh_searcher(self) -> Any:
        """whoosh's own searcher with the same BM25F settings (tests compare scores with it)."""
        from whoosh import scoring

        return self.index.searcher(weighting=scoring.BM25F(B=self.settings["B"], K1=self.settings["K1"]))

    def _query(self, text: str) -> tuple[list[tuple[str, str, float]], float]:
        """The (field, term, boost) parts for TEXT and its self-score, rare terms first within budgets."""
        settings = self.settings
        words, body, grams, self_score = self._select(text)
        parts: list[tuple[str, str, float]] = []
        for word in words:
            parts.append(("questions", word, settings["questions_boost"]))
            parts.append(("title", word, settings["title_boost"]))
        parts += [("body", word, settings["body_boost"]) for word in body]
        parts += [("ngrams", gram, settings["ngram_boost"]) for gram in grams]
        return parts, self_score

    def _select(self, text: str) -> tuple[list[str], list[str], list[str], float]:
        """TEXT's chosen words (phrasings and title), body words and n-grams, and its self-score."""
        settings = self.settings
        if not self.terms.total:  # nothing indexed yet (a new knowledge base): nothing can answer
            return [], [], [], 0.0
        words = list(dict.fromkeys(stem_words(text)))
        chosen = self._rarest(words, ("questions", "title"), settings["word_budget"], keep=2)
        idf_questions = self.terms.idfs("questions")
        self_score = sum([idf_questions[word] for word in chosen]) * settings["questions_boost"]
        body = self._rarest(words, ("body",), settings["body_budget"]) if settings["body_boost"] else []
        grams: list[str] = []
        if settings["ngram_boost"]:
            grams = self._rarest(list(dict.fromkeys(char_ngrams(text))), ("ngrams",), settings["ngram_budget"])
            idf_grams = self.terms.idfs("ngrams")
            self_score += sum([idf_grams[gram] for gram in grams]) * settings["ngram_boost"]
        return chosen, body, grams, self_score

    def _rarest(self, terms: list[str], fields: tuple[str, ...], budget: float, keep: int = 0) -> list[str]:
        """TERMS, rarest first, while their postings in FIELDS add up to at most BUDGET.

        The KEEP rarest are taken whatever their cost, so no question is left without terms.
        When all of them fit, they are all taken as they come (no sorting needed).
        """
        cost = self.terms.costs(fields)
        costs = [cost[t] for t in terms]
        if sum(costs) <= budget:
            return terms
        chosen: list[str] = []
        used = 0
        for position, (frequency, term) in enumerate(sorted(zip(costs, terms))):
            if position >= keep and used + frequency > budget:
                break
            used += frequency
            chosen.append(term)
        return chosen

    def ask(self, question: str, limit: int = 5) -> Answer:
        """Ranked articles for QUESTION, and whether the best one counts as an answer."""
        return self._recovering(lambda: self._ask(question, limit))  # type: ignore[no-any-return]

    def _ask(self, question: str, limit: int) -> Answer:
        parts, self_score = self._query(question)
        if not parts or not self_score:
            return Answer(question, False, [])
        ranked = self.terms.top(parts, limit)
        hits = [self._hit(score / self_score, self.terms.stored(doc), question) for doc, score in ranked]
        return Answer(question, bool(hits) and self._answers(hits[0].score, question), hits)

    def best(self, question: str) -> tuple[Hit | None, bool]:
        """The best article for QUESTION and whether it answers, without a snippet (for notes in bulk)."""
        return self._recovering(lambda: self._best(question))  # type: ignore[no-any-return]

    def _best(self, question: str) -> tuple[Hit | None, bool]:
        parts, self_score = self._query(question)
        ranked = self.terms.top(parts, 1) if parts and self_score else []
        if not ranked:
            return None, False
        doc, score = ranked[0]
        hit = self._hit(score / self_score, self.terms.stored(doc), "")
        return hit, self._answers(hit.score, question)

    def _answers(self, score: float, question: str) -> bool:
        """Whether a best hit of SCORE answers QUESTION: above the threshold, and the question
        names a topic. "how do I", "the the the" or the product's name alone match many
        phrasings well, since phrasings are made of such words, but answer nothing."""
        return score >= self.settings["threshold"] and self.topical(question)

    def topical(self, question: str) -> bool:
        """QUESTION has a word that is none of: a function or filler word, a word of the site's
        name (the product: "COS" alone asks nothing), or, in a knowledge base of 50 articles or
        more, a word in the phrasings of half of them."""
        total = self.terms.total
        common = total // 2 if total >= 50 else total + 1
        stop, site = _stemmed_stop_words(), self.site_words
        return any(
            word not in stop and word not in site and self.terms.doc_frequency("questions", word) < common
            for word in stem_words(question)
        )

    def best_many(self, questions: list[str], chunk: int = 2_000) -> list[tuple[Hit | None, bool]]:
        """`best` for many questions at once: the same terms and scores, summed as sparse matrices.

        A report matches tens of thousands of notes; adding postings one by one in Python costs
        about half a millisecond a question, a sparse product a few microseconds.
        """
        return self._recovering(lambda: self._best_many(questions, chunk))  # type: ignore[no-any-return]

    def _best_many(self, questions: list[str], chunk: int) -> list[tuple[Hit | None, bool]]:
        import numpy as np
        from scipy import sparse

        settings = self.settings
        docs = max(self.terms.total, 1)
        if len(questions) >= 500:
            self.terms.preload(["questions", "title", "body", "ngrams"])
        boosts = {"questions": settings["questions_boost"], "title": settings["title_boost"],
                  "body": settings["body_boost"], "ngrams": settings["ngram_boost"]}
        new_postings: list[list[tuple[int, float]]] = []  # of the columns made since the last chunk
        weights: list[float] = []  # each column's boost

        def column_maker(field: str) -> _Lazy:
            def make(term: str) -> int:
                new_postings.append(self.terms.postings(field, term))
                weights.append(boosts[field])
                return len(weights) - 1

            return _Lazy(make)

        col_q, col_t, col_b, col_g = (column_maker(f) for f in ("questions", "title", "body", "ngrams"))
        p_terms, p_docs, p_values = np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64)
        results: list[tuple[Hit | None, bool]] = []
        for start in range(0, len(questions), chunk):
            batch = questions[start : start + chunk]
            first_new = len(weights)
            new_postings.clear()
            cols: list[int] = []
            lengths: list[int] = []
            selfs: list[float] = []
            for question in batch:
                words, body, grams, self_score = self._select(question)
                before = len(cols)
                cols += [col_q[w] for w in words]
                cols += [col_t[w] for w in words]
                cols += [col_b[w] for w in body]
                cols += [col_g[g] for g in grams]
                lengths.append(len(cols) - before)
                selfs.append(self_score)
            sizes = [len(p) for p in new_postings]
            flat = [entry for p in new_postings for entry in p]
            p_terms = np.concatenate([p_terms, np.repeat(np.arange(first_new, len(weights), dtype=np.int64), sizes)])
            p_docs = np.concatenate([p_docs, np.fromiter((d for d, _ in flat), np.int64, len(flat))])
            p_values = np.concatenate([p_values, np.fromiter((v for _, v in flat), np.float64, len(flat))])
            col_array = np.asarray(cols, dtype=np.int64)
            rows = np.repeat(np.arange(len(batch)), lengths)
            query = sparse.csr_matrix((np.asarray(weights)[col_array], (rows, col_array)), shape=(len(batch), len(weights)))
            matrix = sparse.csr_matrix((p_values, (p_terms, p_docs)), shape=(len(weights), docs))
            scores = (query @ matrix).toarray()
            best = scores.argmax(axis=1)  # the first of equal scores: the lowest document number, as `top`
            for row, doc in enumerate(best):
                score, self_score = scores[row, doc], selfs[row]
                if score <= 0 or not self_score:
                    results.append((None, False))
                    continue
                hit = self._hit(float(score) / self_score, self.terms.stored(int(doc)), "")
                results.append((hit, self._answers(hit.score, batch[row])))
        return results

    @property
    def signature(self) -> str:
        """Changes whenever an answer could: any indexed file, a ranking setting, the site's address."""
        import hashlib

        manifest = (self.project.cache_dir / INDEX_DIR / MANIFEST).read_bytes()
        extra = json.dumps([self.settings, self.project.url_for("")], sort_keys=True).encode()  # hits carry URLs
        return hashlib.sha1(manifest + extra).hexdigest()

    def _hit(self, score: float, stored: dict[str, Any], question: str) -> Hit:
        return Hit(
            slug=stored["slug"],
            title=stored["title"],
            category=stored["category"],
            url=self.project.url_for(f"{stored['category']}/{stored['slug']}/"),
            score=score,
            snippet=_snippet(stored.get("summary") or "", stored.get("passages") or [], question) if question else "",
            audience=stored["audience"],
        )


def _snippet(summary: str, passages: list[str], question: str) -> str:
    """The summary, or else the passage sharing the most words with the question."""
    if summary:
        text = summary
    elif passages:
        wanted = {w for w in re.findall(r"\w+", question.lower()) if len(w) > 2}
        text = max(passages, key=lambda p: (len(wanted & set(re.findall(r"\w+", p.lower()))), -passages.index(p)))
    else:
        return ""
    return text if len(text) <= SNIPPET_CHARS else text[: SNIPPET_CHARS - 1].rsplit(" ", 1)[0] + "…"


class _Lazy(dict):  # type: ignore[type-arg]
    """A dict that computes a missing value once, with the function it was made with."""

    def __init__(self, compute: Callable[[str], Any]):
        super().__init__()
        self.compute = compute

    def __missing__(self, key: str) -> Any:
        value = self[key] = self.compute(key)
        return value


class TermScores:
    """BM25F term-at-a-time over whoosh's postings, each term read from the index once.

    whoosh's own matchers cost tens of milliseconds a query in pure Python; agents' batches
    ask thousands of questions that share most terms, so each term's per-document BM25F
    scores are computed once (with whoosh's formula, idf and stored field lengths) and kept.
    tests/test_search.py checks the scores equal whoosh's own BM25F.
    """

    def __init__(self, reader: Any, B: float, K1: float):
        self.reader = reader
        self.B, self.K1 = B, K1
        self.total = reader.doc_count_all()
        self._postings: dict[tuple[str, str], list[tuple[int, float]]] = {}
        self._df: dict[tuple[str, str], int] = {}
        self._preloaded: set[str] = set()
        self._idf: dict[str, _Lazy] = {}
        self._cost: dict[tuple[str, ...], _Lazy] = {}
        self._lengths: dict[str, Any] = {}
        self._avg: dict[str, float] = {}
        self._stored: dict[int, dict[str, Any]] = {}

    def doc_frequency(self, field: str, term: str) -> int:
        key = (field, term)
        found = self._df.get(key)
        if found is None:
            found = self._df[key] = 0 if field in self._preloaded else self.reader.doc_frequency(field, term)
        return found

    def preload(self, fields: Iterable[str]) -> None:
        """Read every term's document frequency in FIELDS in one pass (for batches of questions:
        one look-up per term costs about 25 microseconds, a pass over a field far less)."""
        for field in fields:
            if field not in self._preloaded:
                for term, info in self.reader.iter_field(field):
                    self._df[(field, term.decode("utf-8") if isinstance(term, bytes) else term)] = info.doc_frequency()
                self._preloaded.add(field)

    def idf(self, field: str, term: str) -> float:
        return self.idfs(field)[term]

    def idfs(self, field: str) -> dict[str, float]:
        """FIELD's idf by term, computed on first use (a dict, so lookups cost no Python call)."""
        found = self._idf.get(field)
        if found is None:
            found = self._idf[field] = _Lazy(lambda term: math.log(self.total / (self.doc_frequency(field, term) + 1)) + 1)
        return found

    def costs(self, fields: tuple[str, ...]) -> dict[str, int]:
        """How many postings a term has across FIELDS (what a query pays to read it), by term."""
        found = self._cost.get(fields)
        if found is None:
            found = self._cost[fields] = _Lazy(lambda term: sum(self.doc_frequency(f, term) for f in fields))
        return found

    def postings(self, field: str, term: str) -> list[tuple[int, float]]:
        key = (field, term)
        found = self._postings.get(key)
        if found is not None:
            return found
        found = []
        if self.doc_frequency(field, term):
            if field not in self._avg:
                self._avg[field] = (self.reader.field_length(field) / max(self.total, 1)) or 1.0
            avg, idf, K1 = self._avg[field], self.idf(field, term), self.K1
            norm = self._norms(field, avg)
            matcher = self.reader.postings(field, term)
            while matcher.is_active():
                doc, tf = matcher.id(), matcher.weight()
                found.append((doc, idf * (tf * (K1 + 1)) / (tf + norm[doc])))
                matcher.next()
        self._postings[key] = found
        return found

    def _norms(self, field: str, avg: float) -> list[float]:
        """K1 * ((1 - B) + B * length / average) for every document of FIELD: BM25's length part."""
        found = self._lengths.get(field)
        if found is None:
            length, B, K1 = self.reader.doc_field_length, self.B, self.K1
            found = self._lengths[field] = [K1 * ((1 - B) + B * length(doc, field, 0) / avg) for doc in range(self.total)]
        return found  # type: ignore[no-any-return]

    def top(self, parts: list[tuple[str, str, float]], limit: int) -> list[tuple[int, float]]:
        """The LIMIT best documents for a query's parts, ties broken by document number."""
        import heapq

        scores: dict[int, float] = {}
        get = scores.get
        for field, term, boost in parts:
            for doc, score in self.postings(field, term):
                scores[doc] = get(doc, 0.0) + score * boost
        return heapq.nsmallest(limit, scores.items(), key=lambda item: (-item[1], item[0]))

    def stored(self, doc: int) -> dict[str, Any]:
        found = self._stored.get(doc)
        if found is None:
            found = self._stored[doc] = self.reader.stored_fields(doc)
        return found


def _opened(ix: Any) -> Any:
    """IX, after reading what every query reads first (the segments' term tables and stored
    fields), so a damaged segment fails here, where the index can still be rebuilt."""
    with ix.reader() as reader:
        for doc in range(min(reader.doc_count_all(), 1)):
            reader.stored_fields(doc)
        for name in ("questions", "title"):
            reader.field_length(name)
    return ix


class IndexStore:
    """The index folder and its manifest: which file version each indexed article came from."""

    def __init__(self, project: Project, warn: Callable[[str], None], folder: Any = None):
        self.project = project
        self.warn = warn
        self.dir = folder or project.cache_dir / INDEX_DIR

    def _scan(self) -> dict[str, list[int]]:
        """kb-relative path -> [mtime_ns, size] for every article file."""
        found: dict[str, list[int]] = {}
        kb_dir = self.project.kb_dir
        try:
            folders = [e for e in os.scandir(kb_dir) if e.is_dir() and not e.name.startswith(".")]
        except OSError:
            return found
        for folder in folders:
            for entry in os.scandir(folder.path):
                if entry.name.endswith(".md") and entry.is_file():
                    info = entry.stat()
                    found[f"{folder.name}/{entry.name}"] = [info.st_mtime_ns, info.st_size]
        return found

    def _index_files(self) -> dict[str, list[int]]:
        """The index's own files -> [mtime_ns, size]: any file truncated, emptied, overwritten or
        deleted since the last commit shows here, for the price of a directory listing."""
        found: dict[str, list[int]] = {}
        try:
            entries = list(os.scandir(self.dir))
        except OSError:
            return found
        for entry in entries:
            if entry.name.endswith((".seg", ".toc")) and entry.is_file(follow_symlinks=False):
                info = entry.stat(follow_symlinks=False)
                found[entry.name] = [info.st_mtime_ns, info.st_size]
        return found

    def _current(self, manifest: dict[str, Any] | None, files: dict[str, list[int]]) -> bool:
        """The manifest describes these article files and the index files as they are now."""
        return manifest is not None and manifest["files"] == files and manifest.get("index") == self._index_files()

    def _write_manifest(self, folder: Any, files: dict[str, list[int]]) -> None:
        index = IndexStore(self.project, self.warn, folder)._index_files()
        tmp = folder / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps({"version": SCHEMA_VERSION, "files": files, "index": index}), encoding="utf-8")
        os.replace(tmp, folder / MANIFEST)

    def _manifest(self) -> dict[str, Any] | None:
        try:
            data = loads((self.dir / MANIFEST).read_text(encoding="utf-8"), limit=0)
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("version") != SCHEMA_VERSION or not isinstance(data.get("files"), dict):
            return None
        return data

    def up_to_date(self) -> Any:
        """Open the index, updating or rebuilding it first when kb/ has changed."""
        files = self._scan()
        manifest = self._manifest()
        if self._current(manifest, files):
            try:
                return _opened(whoosh_index.open_dir(str(self.dir)))
            except Exception as exc:  # whoosh raises many kinds on a damaged index
                self.warn(f"the search index was damaged ({type(exc).__name__}); rebuilding it")
                manifest = None
        with self._locked():
            manifest = self._manifest()  # another process may have updated it while we waited
            if self._current(manifest, files):
                try:
                    return _opened(whoosh_index.open_dir(str(self.dir)))
                except Exception:
                    manifest = None
            if manifest is not None and manifest.get("index") == self._index_files():
                try:
                    ix = _opened(whoosh_index.open_dir(str(self.dir)))
                    self._update(ix, manifest, files)
                    return ix
                except Exception as exc:
                    self.warn(f"the search index was damaged ({type(exc).__name__}); rebuilding it")
            elif manifest is not None:
                self.warn("the search index's files were changed or removed outside kbgen; rebuilding it")
            elif (self.dir / MANIFEST).exists() or any(self.dir.glob("*.toc")):
                self.warn("the search index is from another version of kbgen or was damaged; rebuilding it")
            return self._rebuild(files)

    def rebuild(self) -> Any:
        """Build the index anew (after a read found it damaged)."""
        with self._locked():
            return self._rebuild(self._scan())

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One updater at a time; readers need no lock (whoosh commits atomically)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.dir.parent / ".search.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover - Windows: whoosh's own lock still protects the index
            pass
        try:
            yield
        finally:
            os.close(fd)

    def _articles(self, paths: Iterable[str]) -> Iterator[tuple[str, Article | None]]:
        from .articles import parse_article, read_text

        kb_dir = self.project.kb_dir
        for rel in paths:
            path = kb_dir / rel
            text, _ = read_text(path, rel)
            if text is None:
                yield rel, None
                continue
            article, _ = parse_article(path, rel, rel.split("/", 1)[0], text)
            yield rel, article

    def _rebuild(self, files: dict[str, list[int]]) -> Any:
        tmp = self.dir.with_name(self.dir.name + ".new")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        ix = whoosh_index.create_in(str(tmp), _schema())
        writer = ix.writer(limitmb=256)
        for rel, article in self._articles(sorted(files)):
            if _indexable(article):
                writer.add_document(**_document(article))  # type: ignore[arg-type]
        writer.commit()
        self._write_manifest(tmp, files)
        old = self.dir.with_name(self.dir.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if self.dir.exists():
            os.replace(self.dir, old)
        os.replace(tmp, self.dir)
        shutil.rmtree(old, ignore_errors=True)
        return whoosh_index.open_dir(str(self.dir))

    def _update(self, ix: Any, manifest: dict[str, Any], files: dict[str, list[int]]) -> None:
        old: dict[str, Any] = manifest["files"]
        changed = [rel for rel, stamp in files.items() if old.get(rel) != stamp]
        removed = [rel for rel in old if rel not in files]
        if not changed and not removed:
            return
        writer = ix.writer()
        try:
            for rel in removed:
                writer.delete_by_term("path", rel)
            for rel, article in self._articles(changed):
                if _indexable(article):
                    writer.update_document(**_document(article))  # type: ignore[arg-type]
                else:
                    writer.delete_by_term("path", rel)
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        self._write_manifest(self.dir, files)



# The analyzers above, without whoosh's token objects: 20x faster for short questions. Queries
# use these; tests/test_search.py checks they give exactly the terms whoosh indexes.
_WORD_TOKEN = re.compile(r"\w+(?:'\w+)?")
_GRAM_TOKEN = re.compile(r"\w+")


def stem_words(text: str) -> list[str]:
    """TEXT's words as the index sees them: lowercased and stemmed."""
    return [_stem(word.lower()) for word in _WORD_TOKEN.findall(text)]


def char_ngrams(text: str) -> list[str]:
    """TEXT's character 3- and 4-grams as the n-gram field indexes them (each word's worked out
    once: a report analyses tens of thousands of questions over a few thousand words)."""
    grams: list[str] = []
    for word in _GRAM_TOKEN.findall(text):
        found = _WORD_GRAMS.get(word)
        if found is None:
            padded = f" {word.lower()} "
            found = [padded[i : i + 3] for i in range(len(padded) - 2)] + [padded[i : i + 4] for i in range(len(padded) - 3)]
            if len(_WORD_GRAMS) < 100_000:
                _WORD_GRAMS[word] = found
        grams += found
    return grams


_WORD_GRAMS: dict[str, list[str]] = {}


def _stemmed_stop_words() -> frozenset[str]:
    global _STEMMED_STOP
    if _STEMMED_STOP is None:
        from .words import FILLER_WORDS, FUNCTION_WORDS

        _STEMMED_STOP = frozenset(stem for word in FUNCTION_WORDS | FILLER_WORDS for stem in stem_words(word))
    return _STEMMED_STOP


_STEMMED_STOP: frozenset[str] | None = None


def _stem_cached() -> Callable[[str], str]:
    from functools import lru_cache

    from whoosh.lang.porter import stem

    return lru_cache(maxsize=100_000)(stem)


_stem = _stem_cached()
