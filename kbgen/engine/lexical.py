"""The lexical signal, and the engine made of it alone: the only module that imports whoosh.

One whoosh index in the git-ignored cache folder, built from published articles (public and
internal), brought up to date incrementally: each `LexicalIndex.open` compares the files under
kb/ with a manifest and re-indexes only what changed. A damaged or stale index is rebuilt with a
warning.

Ranking: BM25F over the customers' phrasings and the title (stemmed), a character n-gram field
over the same text for typos and word variants, and the body at a low weight. The score is
divided by the query's self-score (what a document made of exactly the query would get), so
scores mean the same thing for short and long questions.

`LexicalEngine` answers and groups with this signal alone; `kbgen.engine.semantic` fuses it
with a sentence encoder's.
"""

from __future__ import annotations

import heapq
import json
import math
import os
import re
import shutil
import sys
import types
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from itertools import accumulate, chain
from typing import TYPE_CHECKING, Any, Iterator

from ..jsonio import loads
from ..project import Project
from . import Answer, Progress
from .catalog import Entry, Stamps, indexable, read, scan

if TYPE_CHECKING:
    import numpy as np

    from ..articles import Article

SCHEMA_VERSION = 5  # 2: the manifest records the index files; 3: internal hits carry their path; 4: path column;
# 5: terms counted by CountedText (the same postings; the schema pickled in the index names the class)
INDEX_DIR = "search"
LIMIT_MB = 1_024  # whoosh's sorting pool during a first build (see `IndexStore._rebuild`)
MANIFEST = "manifest.json"

# Ranking settings, chosen on CLINC150 train/validation (benchmarks/lookup_quality.py --engine lexical).
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


class CountedText(fields.TEXT):  # type: ignore[misc]
    """A TEXT field whose terms, when indexed, are counted from `stem_words` or `char_ngrams`
    (exactly the analyzer's terms: tests/engine/test_lexical.py) rather than from whoosh's token
    objects, one generator step a filter a token: about 40% of a first build at 10,000 articles.
    Queries and stored values are unchanged; the index holds the same postings."""

    def __init__(self, terms: Callable[[str], list[str]], **kwargs: Any):
        super().__init__(**kwargs)
        self.terms = terms

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        if not isinstance(value, str) or kwargs:
            yield from super().index(value, **kwargs)
            return
        from collections import Counter

        from whoosh.system import pack_uint

        boost = self.format.field_boost
        # whoosh's Frequency format: (term, frequency, weight = the tokens' boosts summed x the
        # field's boost, the frequency packed), terms in the order they first appear
        for term, frequency in Counter(self.terms(value)).items():
            yield term.encode("utf-8"), frequency, float(frequency) * boost, pack_uint(frequency)


def _schema() -> Any:
    words, ngrams = _analyzers()
    return fields.Schema(
        path=fields.ID(stored=True, unique=True, sortable=True),  # kb-relative source file (a column: read fast)
        slug=fields.ID(stored=True),
        category=fields.ID(stored=True),
        audience=fields.ID(stored=True),
        title=CountedText(stem_words, analyzer=words, phrase=False, stored=True),
        questions=CountedText(stem_words, analyzer=words, phrase=False),
        ngrams=CountedText(char_ngrams, analyzer=ngrams, phrase=False),
        body=CountedText(stem_words, analyzer=words, phrase=False),
        summary=fields.STORED(),
        passages=fields.STORED(),
    )


def _document(rel: str, article: Article) -> dict[str, Any]:
    phrasings = "\n".join(article.questions)
    entry = Entry.of(rel, article)
    return {
        "path": rel,
        "slug": article.slug,
        "category": article.category,
        "audience": article.audience,
        "title": article.title,
        "questions": phrasings,
        "ngrams": article.title + "\n" + phrasings,
        "body": article.body,
        "summary": entry.summary,
        "passages": entry.passages,
    }


class LexicalIndex:
    """An open, up-to-date index and the settings to score with: the lexical signal."""

    def __init__(self, project: Project, index: Any, settings: dict[str, float] | None = None,
                 store: IndexStore | None = None):
        self.project = project
        self.settings = {**SETTINGS, **(settings or {})}
        self.index = index
        self.store = store
        self.terms = TermScores(index.reader(), self.settings["B"], self.settings["K1"])
        self.site_words = frozenset(stem_words(project.site_name))  # the product's name asks nothing
        self._entries: dict[int, Entry] = {}

    @classmethod
    def open(cls, project: Project, on_warning: Callable[[str], None] | None = None,
             settings: dict[str, float] | None = None, progress: Progress | None = None,
             files: Stamps | None = None) -> LexicalIndex:
        """The index for PROJECT, updated first for whatever changed under kb/ since last time
        (FILES: the knowledge base's file stamps, when the caller has just read them)."""
        store = IndexStore(project, on_warning or (lambda message: None), progress=progress, files=files)
        return cls(project, store.up_to_date(), settings, store)

    def recovering(self, read: Callable[[], Any]) -> Any:
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
            self._entries.clear()
            return read()

    def close(self) -> None:
        self.terms.reader.close()

    @property
    def total(self) -> int:
        """Document numbers run from 0 to this (deleted documents included; they score nothing)."""
        return self.terms.total  # type: ignore[no-any-return]

    def entry(self, doc: int) -> Entry:
        found = self._entries.get(doc)
        if found is None:
            stored = self.terms.stored(doc)
            found = self._entries[doc] = Entry(stored["path"], stored["slug"], stored["title"], stored["category"],
                                               stored["audience"], stored.get("summary") or "", stored.get("passages") or [])
        return found

    def paths(self) -> Iterator[tuple[int, str]]:
        """(document number, kb-relative path) of every live document, from the path column
        (reading every document's stored fields would cost a second at 10,000 articles)."""
        reader = self.terms.reader
        if reader.doc_count_all() == 0:  # an empty index has no columns
            return
        column = reader.column_reader("path")
        for doc in range(reader.doc_count_all()):
            if not reader.is_deleted(doc):
                value = column[doc]
                yield doc, value.decode("utf-8") if isinstance(value, bytes) else str(value)

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

    def scores(self, question: str) -> dict[int, float]:
        """Every document QUESTION reaches, with its score divided by the question's self-score."""
        return self.recovering(lambda: self._scores(question))  # type: ignore[no-any-return]

    def _scores(self, question: str) -> dict[int, float]:
        parts, self_score = self._query(question)
        if not parts or not self_score:
            return {}
        return {doc: score / self_score for doc, score in self.terms.accumulate(parts).items()}

    def topical(self, question: str) -> bool:
        """QUESTION has a word that is none of: a function or filler word, a word of the site's
        name (the product: "COS" alone asks nothing), or, in a knowledge base of 50 articles or
        more, a word in the phrasings of half of them. "how do I" or the product's name alone
        match many phrasings well, since phrasings are made of such words, but ask nothing.

        In a knowledge base of 50 articles or more, a function or filler word that some articles'
        phrasings use, but fewer than half, names a topic too: "thank you", "hello" and "where am
        I" are what a "saying thanks", a "greetings" or a "my location" article is about. (Chosen
        on CLINC150's train and validation questions: right answers 0.8888 with such words asking
        nothing, 0.8899 with those in at most 8% of the articles, 0.8908 with this; out-of-scope
        questions left unanswered unchanged.)"""
        total = self.terms.total
        large = total >= 50
        common = total // 2 if large else total + 1
        stop, site = _stemmed_stop_words(), self.site_words
        for word in stem_words(question):
            if word in site:
                continue
            frequency = self.terms.doc_frequency("questions", word)
            if frequency < common and (word not in stop or (large and frequency > 0)):
                return True
        return False

    def score_matrix(self, questions: Sequence[str], chunk: int = 2_000) -> Iterator[np.ndarray]:
        """The scores `scores` gives, for many questions: one dense (questions x documents) array a
        chunk of CHUNK questions, in order (see `sparse_scores`)."""
        for scores in self.sparse_scores(questions, chunk):
            yield scores.toarray()

    def sparse_scores(self, questions: Sequence[str], chunk: int = 2_000) -> Iterator[Any]:
        """`scores` for many questions: one sparse (questions x documents) matrix a chunk, in order.

        A report matches tens of thousands of notes; adding postings one by one in Python costs
        about half a millisecond a question, a sparse product a few microseconds. Large batches are
        shared between forked processes, one a core (the index is read-only, so a worker needs
        nothing but its questions); each sends back only the scores that are not zero.
        """
        import multiprocessing

        parts = [questions[start : start + chunk] for start in range(0, len(questions), chunk)]
        workers = min(os.cpu_count() or 1, len(parts), MAX_WORKERS)
        if workers < 2 or len(questions) < PARALLEL_FROM or "fork" not in multiprocessing.get_all_start_methods():
            yield from self._sparse_scores(questions, chunk)
            return
        global _WORKER_INDEX
        _WORKER_INDEX = self
        self.terms.preload(["questions", "title", "body", "ngrams"])  # once, before the workers share it
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                yield from pool.imap(_worker_scores, parts)
        finally:
            _WORKER_INDEX = None

    def _sparse_scores(self, questions: Sequence[str], chunk: int) -> Iterator[Any]:
        import numpy as np
        from scipy import sparse

        settings = self.settings
        docs = max(self.terms.total, 1)
        if len(questions) >= 500:
            self.terms.preload(["questions", "title", "body", "ngrams"])
        boosts = {"questions": settings["questions_boost"], "title": settings["title_boost"],
                  "body": settings["body_boost"], "ngrams": settings["ngram_boost"]}
        names = ("questions", "title", "body", "ngrams")
        new_postings: list[tuple[list[int], list[float]]] = []  # (documents, BM25 scores) of the columns made since the last chunk
        weights: list[float] = []  # each column's boost

        def column_maker(field: str) -> _Lazy:
            postings, boost = self.terms.postings, boosts[field]

            def make(term: str) -> int:
                new_postings.append(postings(field, term))
                weights.append(boost)
                return len(weights) - 1

            return _Lazy(make)

        col_q, col_t, col_b, col_g = (column_maker(f) for f in names)
        p_terms, p_docs, p_values = np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64)
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
            sizes = [len(d) for d, _ in new_postings]
            count = sum(sizes)
            docs_new = np.fromiter(chain.from_iterable([d for d, _ in new_postings]), np.int64, count)
            values = np.fromiter(chain.from_iterable([v for _, v in new_postings]), np.float64, count)
            p_terms = np.concatenate([p_terms, np.repeat(np.arange(first_new, len(weights), dtype=np.int64), sizes)])
            p_docs = np.concatenate([p_docs, docs_new])
            p_values = np.concatenate([p_values, values])
            col_array = np.asarray(cols, dtype=np.int64)
            rows = np.repeat(np.arange(len(batch)), lengths)
            query = sparse.csr_matrix((np.asarray(weights)[col_array], (rows, col_array)), shape=(len(batch), len(weights)))
            matrix = sparse.csr_matrix((p_values, (p_terms, p_docs)), shape=(len(weights), docs))
            self_scores = np.asarray(selfs)
            scale = sparse.diags(1.0 / np.where(self_scores > 0, self_scores, np.inf))
            yield (scale @ (query @ matrix)).tocsr()

    @property
    def signature(self) -> str:
        """Changes whenever a score could: any indexed file, a ranking setting."""
        import hashlib

        manifest = (self.store.dir if self.store else self.project.cache_dir / INDEX_DIR) / MANIFEST
        extra = json.dumps(self.settings, sort_keys=True).encode()
        return hashlib.sha1(manifest.read_bytes() + extra).hexdigest()


MAX_WORKERS = 4
_NO_POSTINGS: tuple[list[int], list[float]] = ([], [])  # a term no document has (never changed)
NUMPY_POSTINGS = 48  # postings; from this long, a term's BM25 scores are computed with numpy
PARALLEL_FROM = 2_000  # questions; below this, starting workers costs more than it saves
_WORKER_INDEX: Any = None  # set in the parent just before forking, read by the workers


def _worker_scores(questions: Sequence[str]) -> Any:
    return next(_WORKER_INDEX._sparse_scores(questions, len(questions)))


NEAR_SCORE = 0.35  # a best article this close lends its category to a question it does not answer
SAME_TOPIC = 0.6  # cosine between a draft's title and questions and a gap's phrasings to give it the gap


class LexicalEngine:
    """The engine made of the lexical signal alone: BM25F for answers, TF-IDF and LSA for groups."""

    name = "lexical"
    threshold = SETTINGS["threshold"]

    def __init__(self, project: Project, index: LexicalIndex):
        self.project = project
        self.index = index

    @classmethod
    def open(cls, project: Project, warn: Callable[[str], None], progress: Progress | None = None) -> LexicalEngine:
        return cls(project, LexicalIndex.open(project, warn, progress=progress))

    def close(self) -> None:
        self.index.close()

    @property
    def signature(self) -> str:
        return f"{self.name}:{self.index.signature}:{self.project.url_for('')}"  # hits carry URLs

    def ask(self, question: str, limit: int = 5) -> Answer:
        if not self.index.topical(question):
            return Answer(question, False, [], topical=False)
        scores = self.index.scores(question)
        ranked = heapq.nsmallest(limit, scores.items(), key=lambda item: (-item[1], item[0]))
        hits = [self.index.entry(doc).hit(self.project, score, question) for doc, score in ranked]
        return self._answer(question, hits)

    def _answer(self, question: str, hits: list[Any]) -> Answer:
        best = hits[0].score if hits else 0.0
        answered = best >= self.threshold
        return Answer(question, answered, hits, near=best >= NEAR_SCORE, covered=answered)

    def ask_many(self, questions: Sequence[str], limit: int = 1, snippets: bool = False,
                 progress: Progress | None = None) -> list[Answer]:
        return self.index.recovering(lambda: self._ask_many(questions, limit, snippets, progress))  # type: ignore[no-any-return]

    def _ask_many(self, questions: Sequence[str], limit: int, snippets: bool, progress: Progress | None) -> list[Answer]:
        import numpy as np

        step = progress or (lambda what, done, total: None)
        answers: list[Answer] = []
        chunk = 2_000
        for start, scores in zip(range(0, len(questions), chunk), self.index.score_matrix(questions, chunk)):
            batch = questions[start : start + chunk]
            if limit == 1:
                order = scores.argmax(axis=1)[:, None]  # the first of equal scores: the lowest document number
            else:
                order = np.argsort(-scores, axis=1, kind="stable")[:, :limit]
            for row, question in enumerate(batch):
                if not self.index.topical(question):
                    answers.append(Answer(question, False, [], topical=False))
                    continue
                hits = [self.index.entry(int(doc)).hit(self.project, float(scores[row, doc]), question if snippets else None)
                        for doc in order[row] if scores[row, doc] > 0]
                answers.append(self._answer(question, hits))
            step("Matching", len(answers), len(questions))
        return answers

    def vectors(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        from .. import cluster
        from ..text import without_placeholders

        return cluster.features([without_placeholders(t) for t in texts], stem_words)

    def group(self, vectors: np.ndarray) -> list[int]:
        from .. import cluster

        return cluster.cluster(vectors, cluster.settings_for(len(vectors)))

    def covered(self, answers: Sequence[Answer], vectors: np.ndarray) -> list[bool]:
        """Each question on its own: answered is covered (words alone give no evidence to pool)."""
        return [a.covered and a.best is not None for a in answers]

    def same_topic(self, groups: Sequence[Sequence[str]], texts: Sequence[str]) -> int | None:
        """The group whose centre is closest to TEXTS' in raw TF-IDF space, at cosine 0.6 or more
        (a handful of drafts is no corpus for LSA)."""
        import numpy as np

        from .. import cluster

        if not groups or not texts:
            return None
        flat = [text for group in groups for text in group] + list(texts)
        vectors = cluster.features(flat, stem_words, cluster.Settings(lsa_from=len(flat) + 1))
        bounds = np.cumsum([0, *(len(g) for g in groups)])
        centre = vectors[bounds[-1] :].mean(axis=0)
        centre /= max(float(np.linalg.norm(centre)), 1e-12)
        sims = [float(vectors[a:b].mean(axis=0) @ centre / max(float(np.linalg.norm(vectors[a:b].mean(axis=0))), 1e-12))
                if b > a else 0.0 for a, b in zip(bounds[:-1], bounds[1:])]
        best = int(np.argmax(sims))
        return best if sims[best] >= SAME_TOPIC else None

    def remember(self, texts: Sequence[str]) -> None:
        """Nothing to keep: lexical scores are cheap to compute again."""


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
    tests/engine/test_lexical.py checks the scores equal whoosh's own BM25F.
    """

    def __init__(self, reader: Any, B: float, K1: float):
        self.reader = reader
        self.B, self.K1 = B, K1
        self.total = reader.doc_count_all()
        self._postings: dict[tuple[str, str], tuple[list[int], list[float]]] = {}  # (documents, BM25F scores)
        self._df: dict[tuple[str, str], int] = {}
        self._preloaded: set[str] = set()
        self._idf: dict[str, _Lazy] = {}
        self._cost: dict[tuple[str, ...], _Lazy] = {}
        self._lengths: dict[str, Any] = {}
        self._norm_arrays: dict[str, Any] = {}
        self._leaves: list[tuple[Any, int]] | None = None
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

    def postings(self, field: str, term: str) -> tuple[list[int], list[float]]:
        """TERM's documents in FIELD and each one's BM25F score, read from the index once.

        A long list is scored with numpy (one Python operation a posting costs most of a batch at
        10,000 articles), a short one in Python (numpy's few microseconds a call cost more than a
        handful of postings: most terms, when a knowledge base has a hundred articles). Both do the
        same operations in the same order, so the scores are the same.
        """
        key = (field, term)
        found = self._postings.get(key)
        if found is not None:
            return found
        if not self.doc_frequency(field, term):  # most of a batch's terms, in a small knowledge base
            found = self._postings[key] = _NO_POSTINGS  # shared: no objects for the collector to walk
            return found
        docs, tfs = self._frequencies(field, term)
        idf, K1 = self.idf(field, term), self.K1
        if len(docs) >= NUMPY_POSTINGS:
            import numpy as np

            frequencies = np.asarray(tfs, np.float64)
            lengths = self.norm_array(field)[np.asarray(docs, np.int64)]
            found = (docs, (idf * (frequencies * (K1 + 1)) / (frequencies + lengths)).tolist())
        else:
            norm = self.norms(field)
            found = (docs, [idf * (tf * (K1 + 1)) / (tf + norm[doc]) for doc, tf in zip(docs, tfs)])
        self._postings[key] = found
        return found

    def _frequencies(self, field: str, term: str) -> tuple[list[int], list[float]]:
        """TERM's documents in FIELD and its frequency in each, as the index holds them."""
        from whoosh.reading import TermNotFound

        docs: list[int] = []
        tfs: list[float] = []
        if self._leaves is None:
            self._leaves = list(self.reader.leaf_readers())
        for leaf, offset in self._leaves:
            try:
                matcher = leaf.postings(field, term)
            except TermNotFound:  # not in this segment
                continue
            _read_postings(matcher, offset, docs, tfs)
        return docs, tfs

    def norms(self, field: str) -> list[float]:
        """K1 * ((1 - B) + B * length / average) for every document of FIELD: BM25's length part."""
        found = self._lengths.get(field)
        if found is None:
            B, K1 = self.B, self.K1
            average = (self.reader.field_length(field) / max(self.total, 1)) or 1.0
            found = self._lengths[field] = [K1 * ((1 - B) + B * length / average) for length in self._field_lengths(field)]
        return found  # type: ignore[no-any-return]

    def norm_array(self, field: str) -> Any:
        """`norms(field)` as a numpy array, made once."""
        found = self._norm_arrays.get(field)
        if found is None:
            import numpy as np

            found = self._norm_arrays[field] = np.asarray(self.norms(field), np.float64)
        return found

    def _field_lengths(self, field: str) -> list[int]:
        """Every document's stored length of FIELD, as whoosh's `doc_field_length` gives it, read a
        segment's column at once (one call a document costs 0.1 s at 10,000 articles)."""
        try:
            lengths = [0] * self.total
            for segment, offset in self.reader.leaf_readers():
                column = _length_column(segment._perdoc, field, segment.doc_count_all())
                lengths[offset : offset + len(column)] = [length or 0 for length in column]
            return lengths
        except Exception:  # another codec or whoosh version: the documented way
            length = self.reader.doc_field_length
            return [length(doc, field, 0) or 0 for doc in range(self.total)]

    def accumulate(self, parts: list[tuple[str, str, float]]) -> dict[int, float]:
        """Each document's score for a query's parts: term at a time, each term's postings read once."""
        scores: dict[int, float] = {}
        get = scores.get
        for field, term, boost in parts:
            docs, values = self.postings(field, term)
            for doc, score in zip(docs, values):
                scores[doc] = get(doc, 0.0) + score * boost
        return scores

    def top(self, parts: list[tuple[str, str, float]], limit: int) -> list[tuple[int, float]]:
        """The LIMIT best documents for a query's parts, ties broken by document number."""
        return heapq.nsmallest(limit, self.accumulate(parts).items(), key=lambda item: (-item[1], item[0]))

    def stored(self, doc: int) -> dict[str, Any]:
        found = self._stored.get(doc)
        if found is None:
            found = self._stored[doc] = self.reader.stored_fields(doc)
        return found


def _length_column(perdoc: Any, field: str, count: int) -> list[int | None]:
    """The length of FIELD in each of the first COUNT documents of a segment's per-document reader
    PERDOC, read at once: what its `doc_field_length` says one call a document (None for none)."""
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
    from whoosh.util.numeric import byte_to_length

    column = perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
    if column is None:
        return []
    raw = column._dbfile.get(column._basepos, min(column._count, count))
    table = [byte_to_length(value) if value else None for value in range(256)]
    return [table[value] for value in raw]


class _Lengths:
    """A new segment's per-document reader whose `doc_field_length` reads each field's lengths
    at once: whoosh asks it once a posting while writing the segment (about a fifth of a first
    build, one seek and read a call). Everything else goes to the reader."""

    def __init__(self, reader: Any):
        self._reader = reader
        self._columns: dict[str, list[int | None]] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: Any = 0) -> Any:
        column = self._columns.get(fieldname)
        if column is None:
            column = self._columns[fieldname] = _length_column(self._reader, fieldname, self._reader.doc_count_all())
            if not column and self._reader.doc_count_all():
                return self._reader.doc_field_length(docnum, fieldname, default)
        return column[docnum] if docnum < len(column) else default

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reader, name)


def _fast_lengths(writer: Any) -> Any:
    """WRITER, writing its segment with `_Lengths` (as it was, if this whoosh differs from 2.7's)."""
    original = getattr(writer, "per_document_reader", None)
    if original is None or not hasattr(writer.codec, "per_document_reader"):
        return writer

    def per_document_reader() -> Any:
        reader = original()
        return _Lengths(reader) if hasattr(reader, "_cached_reader") else reader

    writer.per_document_reader = per_document_reader
    return writer


_BLOCK_WISE: dict[type, bool] = {}  # matcher class: whether `_read_postings` reads it a block at a time


def _read_postings(matcher: Any, offset: int, docs: list[int], tfs: list[float]) -> None:
    """Append MATCHER's documents (plus OFFSET) and term frequencies to DOCS and TFS, a block at a
    time: whoosh's own `next()`, `id()` and `weight()` cost about 6 microseconds a posting in
    Python, most of a batch's time at 10,000 articles. Any matcher but whoosh 2.7's block reader
    (a posting list inlined in the term table, another codec) is walked the documented way.
    tests/engine/test_lexical.py holds both ways equal, deleted documents included."""
    from whoosh.matching.wrappers import FilterMatcher

    excluded: Any = ()
    if isinstance(matcher, FilterMatcher) and matcher._exclude:  # a segment with deleted documents
        excluded, matcher = matcher._ids, matcher.child
        matcher.reset()  # the filter stepped past the first deleted ones
    kind = type(matcher)
    block_wise = _BLOCK_WISE.get(kind)
    if block_wise is None:
        names = ("_read_data", "_next_block", "_atend", "_blocklength", "_byteids")
        block_wise = _BLOCK_WISE[kind] = all(hasattr(matcher, name) for name in names)
    if block_wise:
        while matcher.is_active():
            if matcher._data is None:
                matcher._read_data()
            ids, weights = matcher._data[0], matcher._data[1]
            ids = list(ids) if matcher._byteids else list(accumulate(ids))  # whoosh's delta_decode, in C
            if weights is None or isinstance(weights, float):
                weights = [1.0 if weights is None else weights] * len(ids)
            if len(ids) != matcher._blocklength or len(weights) != len(ids):
                raise ValueError("a posting block of unexpected length")
            if excluded:
                kept = [i for i, doc in enumerate(ids) if doc not in excluded]
                ids, weights = [ids[i] for i in kept], [weights[i] for i in kept]
            docs.extend([doc + offset for doc in ids] if offset else ids)
            tfs.extend(weights)
            matcher._next_block()
        return
    while matcher.is_active():
        doc = matcher.id()
        if doc not in excluded:
            docs.append(doc + offset)
            tfs.append(matcher.weight())
        matcher.next()


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

    def __init__(self, project: Project, warn: Callable[[str], None], folder: Any = None, progress: Progress | None = None,
                 files: Stamps | None = None):
        self.project = project
        self.warn = warn
        self.dir = folder or project.cache_dir / INDEX_DIR
        self.progress = progress or (lambda what, done, total: None)
        self._files = files

    def _scan(self) -> Stamps:
        if self._files is None:
            self._files = scan(self.project)
        return self._files

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

    def _rebuild(self, files: dict[str, list[int]]) -> Any:
        tmp = self.dir.with_name(self.dir.name + ".new")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        ix = whoosh_index.create_in(str(tmp), _schema())
        # postings are sorted in memory up to LIMIT_MB and spilled to disk beyond, then merged in
        # Python: 10,000 articles (6 million postings) fit in one run at 1 GB, and the build
        # takes 63 s instead of 152 s at 256 MB (peak memory 1.4 GB)
        writer = _fast_lengths(ix.writer(limitmb=LIMIT_MB))
        for done, (rel, article) in enumerate(read(self.project, sorted(files)), 1):
            if indexable(article):
                writer.add_document(**_document(rel, article))  # type: ignore[arg-type]
            if done % 100 == 0 or done == len(files):
                self.progress("Indexing articles", done, len(files))
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
            for rel, article in read(self.project, changed):
                if indexable(article):
                    writer.update_document(**_document(rel, article))  # type: ignore[arg-type]
                else:
                    writer.delete_by_term("path", rel)
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        self._write_manifest(self.dir, files)



# The analyzers above, without whoosh's token objects: 20x faster for short questions. Queries
# use these; tests/engine/test_lexical.py checks they give exactly the terms whoosh indexes.
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
        from ..text import FILLER_WORDS, FUNCTION_WORDS

        _STEMMED_STOP = frozenset(stem for word in FUNCTION_WORDS | FILLER_WORDS for stem in stem_words(word))
    return _STEMMED_STOP


_STEMMED_STOP: frozenset[str] | None = None


def _stem_cached() -> Callable[[str], str]:
    from functools import lru_cache

    from whoosh.lang.porter import stem

    return lru_cache(maxsize=100_000)(stem)


_stem = _stem_cached()
