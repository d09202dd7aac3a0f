"""The default engine: meaning from a sentence encoder, fused with the lexical index's scores.

For a question q and an article a (its title and its customers' phrasings, one vector each):

    F(q, a) = (best(q, a) + ALPHA * centre(q, a) + BETA * min(lexical(q, a), CLIP)) / (1 + ALPHA + BETA)

where `best` is q's highest cosine with any of a's rows, `centre` its cosine with the mean of
a's rows, and `lexical` the lexical engine's normalised BM25F score. Among the CANDIDATES articles
F ranks first, articles are ranked by

    S(q, a) = (FUSED_WEIGHT * F(q, a) + HEAD_WEIGHT * p(a | q)) / (FUSED_WEIGHT + HEAD_WEIGHT)

where p is the knowledge base's own answer model (`kbgen.engine.head`), a softmax over those
candidates that tells close articles apart by what their phrasings have in common. The article S
ranks first is the answer, and S is the score a hit shows; `kbgen ask` calls q answered when q
names a topic and F1, that article's F, is at least ANSWERED (deciding on S instead answered more
questions no article covers: p is large wherever one candidate stands out, covered or not).
A question that no article comes NEAR (F1 below it) keeps F's order and scores: which of several
far articles the model prefers is noise, and closeness is the better guess of its subject (on
CLINC150's validation and train questions, top-1 0.8912 with this rule, 0.8909 without).

The report asks more before it calls a note a findability fix rather than a gap, because that
writes the note's words into the article. Its evidence starts from the decision score

    D = F1 + MARGIN * (F1 - F2) - MEAN * mean over the other articles of F(q, .) - SELF * (self(a) - mean self)

where F2 is the best F of any other article; a question that is close to every article says little by being
close to one; and self(a), how well an article's own phrasings match it (each left out in turn),
corrects for articles that every question looks close to.

One note's words are noisy evidence, so the report decides together (`covered`): among the open
questions whose best article is a, each question q's neighbourhood g is the questions at cosine
NEIGHBOURS or more from it (q included; cosines in the knowledge base's principal directions, as
for gaps), and q is a findability fix when

    D(q) + POOLED * mean of D over g + SIZE * ln |g| + CENTRE * cos(mean vector of g, a's centre)

is at least COVERED (the mean vector and a's centre in the encoder's own space). Thirty notes
asking one thing that a's phrasings answer sit together and near a's centre; notes of a topic no
article covers that merely lean on a do not, however close some of them come one by one. A
question alone is its own neighbourhood.

Every constant was chosen on CLINC150's train and validation splits; benchmarks/lookup_quality.py
and benchmarks/gaps.py measure them on the test split.

Questions are grouped into gaps by their vectors: a leader pass in time order into tight
micro-groups, then average linkage over those (`kbgen.cluster`). A question's vector depends on
its text alone, so new notes never move old ones; only the linkage can shift, a little.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..project import Project
from . import Answer, Progress
from .catalog import scan
from .encoder import Encoder, EncoderError, encoder_text
from .head import Head
from .lexical import LexicalIndex
from .ranking import top
from .vectors import ArticleVectors, TextVectors

if TYPE_CHECKING:
    import numpy as np


def _rechunked(blocks: Any, size: int) -> Any:
    """The rows of sparse BLOCKS (of any heights), as blocks of exactly SIZE rows (the last may be shorter)."""
    from scipy import sparse

    pending: list[Any] = []
    held = 0
    for block in blocks:
        pending.append(block)
        held += block.shape[0]
        while held >= size:
            joined = sparse.vstack(pending).tocsr() if len(pending) > 1 else pending[0]
            yield joined[:size]
            rest = joined[size:]
            pending, held = ([rest] if rest.shape[0] else []), rest.shape[0]
    if held:
        yield sparse.vstack(pending).tocsr() if len(pending) > 1 else pending[0]


# Chosen on CLINC150 train/validation (see the module docstring); scores are on F's scale, 0 to 1.
SETTINGS: dict[str, float] = {
    "alpha": 5.0,  # weight of the cosine with the article's centre
    "beta": 1.0,  # weight of the lexical score ...
    "clip": 1.5,  # ... capped here, so a long exact-word match cannot outweigh meaning
    "answered": 3.327 / 7,  # F1 (of the article S ranks first) at which `ask` calls a question answered:
    # the lowest that leaves 90% of CLINC150's out-of-scope validation and train questions unanswered
    "candidates": 100,  # articles F ranks first, re-ranked by S (all 150 of CLINC150 gave the same figures)
    "fused_weight": 7.0,  # S's weights (chosen among 7 : 0.5 to 7 : 3 on validation and train questions
    "head_weight": 1.5,  # 11 to 40 of each intent)
    "covered": 0.8525,  # the pooled score (see the module docstring) at which the report calls a note a
    # findability fix: the lowest that leaves 75% of CLINC150's uncovered train and validation notes
    # open (a wrong findability fix writes wrong phrasings into an article; a wrong gap costs a draft
    # an editor merges)
    "pooled": 0.80,  # its weights, fitted (logistic) on those notes: the neighbourhood's mean D ...
    "size": -0.085,  # ... the log of its size ...
    "centre": 0.42,  # ... and its mean vector's cosine with the article's centre
    "neighbours": 0.60,  # the cosine that makes two questions leaning on one article neighbours
    # (chosen among 0.4 to 0.7; a clustering cut at 0.4 to 0.6 instead did no better and cost more)
    "margin": 0.5,  # D's weights: the lead over the second-best article ...
    "mean": 1.5,  # ... the question's mean score over the other articles ...
    "self": 0.5,  # ... and the answering article's self-score against the average
    "near": 0.40,  # an article this close is on the subject: its category is a fair guess
    "dims": 96,  # questions are grouped in the knowledge base's top 96 principal directions ...
    "micro": 0.80,  # ... joining a micro-group in the leader pass at this cosine ...
    "merge": 0.40,  # ... and cut between gaps at this one (average linkage): the best NMI and ARI on
    # CLINC150's validation notes (0.924 / 0.778), also the setting whose demo gaps read as one question each
    "same_topic": 0.72,  # cosine between a draft's and a gap's centres to give the draft the gap
}
FEW = 16  # questions encoded without looking in the cache of kept vectors
ANCHORS = 64  # questions leaning on one article whose neighbours are counted exactly (see `_pooled_many`)
CHUNK = 256  # questions scored at once at the least: 256 x 110,000 rows of 10,000 articles is 110 MB
LEXICAL_CHUNK = 8 * CHUNK  # the lexical index's sparse products pay off on larger batches


class SemanticEngine:
    """Answers and groups questions by meaning (see the module docstring)."""

    name = "semantic"

    def __init__(self, project: Project, lexical: LexicalIndex, articles: ArticleVectors, head: Head, encoder: Encoder,
                 settings: dict[str, float] | None = None):
        self.project = project
        self.lexical = lexical
        self.articles = articles
        self.head = head
        self.encoder = encoder
        self.settings = {**SETTINGS, **(settings or {})}
        self.texts = TextVectors(project, encoder)
        self._fresh: dict[str, Any] = {}  # vectors encoded in this process, for `remember`
        self._last: tuple[list[str], Any] | None = None  # the texts and vectors of the last large `vectors` call
        self._doc_map: Any = None
        self._article_docs: Any = None

    @classmethod
    def open(cls, project: Project, warn: Callable[[str], None], progress: Progress | None = None,
             settings: dict[str, float] | None = None, encoder: Encoder | None = None) -> SemanticEngine:
        import threading

        # imported before any thread starts: numpy's extension fails to initialise ("partially
        # initialized module") when two threads import it at once
        import numpy  # noqa: F401

        encoder = encoder or Encoder(project.cache_dir)
        files = scan(project)  # read once for both: 10,000 stats
        # the two indexes are brought up to date side by side: the encoder runs outside Python's
        # lock, so a first build at 10,000 articles takes about the longer of the two, not their sum
        # (a plain thread: concurrent.futures imports logging, 5 to 8 ms of a single `kbgen ask`)
        done: dict[str, Any] = {}

        def vectors() -> None:
            try:
                done["articles"] = ArticleVectors.open(project, encoder, warn, progress, files)
                done["head"] = Head.open(project, done["articles"], warn, progress)
            except BaseException as exc:  # raised below, in the caller's thread
                done["error"] = exc

        worker = threading.Thread(target=vectors, name="kbgen-article-vectors")
        worker.start()
        try:
            lexical = LexicalIndex.open(project, warn, progress=progress, files=files)
        finally:
            worker.join()
        if "error" in done:
            if isinstance(done["error"], EncoderError):
                lexical.close()
            raise done["error"]
        return cls(project, lexical, done["articles"], done["head"], encoder, settings)

    def close(self) -> None:
        self.lexical.close()
        self.encoder.close()

    @property
    def signature(self) -> str:
        settings = json.dumps(self.settings, sort_keys=True)
        return f"{self.name}:{self.encoder.model_id}:{self.articles.signature}:{self.lexical.signature}:{settings}:{self.project.url_for('')}"

    # --- questions to articles ------------------------------------------------------------------

    def ask(self, question: str, limit: int = 5) -> Answer:
        return self.ask_many([question], limit=limit, snippets=True)[0]

    def ask_many(self, questions: Sequence[str], limit: int = 1, snippets: bool = False,
                 progress: Progress | None = None) -> list[Answer]:
        import numpy as np

        step = progress or (lambda what, done, total: None)
        topical = [self.lexical.topical(q) for q in questions]
        vectors = self.vectors(questions, progress)
        s = self.settings
        answers: list[Answer] = []
        lexical_rows = self._lexical_rows(questions)
        selves = self.articles.selves(s["alpha"]) / (1 + s["alpha"] + s["beta"])
        mean_self = float(selves.mean()) if len(selves) else 0.0  # articles without phrasings sit at the mean
        for start in range(0, len(questions), self._chunk):
            stop = min(start + self._chunk, len(questions))
            fused, centre = self._fused(vectors[start:stop], next(lexical_rows))
            top, ranked, by_fused = self._ranked(vectors[start:stop], fused, max(limit, 2))
            articles = fused.shape[1]
            # the mean score of the other articles (the first's own would weigh heavily in a small base)
            totals = fused.sum(axis=1) if articles else np.zeros(stop - start)
            for row in range(stop - start):
                question = questions[start + row]
                if not topical[start + row] or not articles:
                    answers.append(Answer(question, False, [], topical=topical[start + row]))
                    continue
                chosen = int(top[row][0])
                hits = [hit for a, score in zip(top[row][:limit], ranked[row][:limit])
                        if (hit := self._hit(int(a), float(score), question if snippets else None)) is not None]
                first = float(fused[row, chosen])
                # the best F of any other article: F's own first, unless that is the chosen one
                second = 0.0
                if articles > 1:
                    second = float(fused[row, by_fused[row][1] if by_fused[row][0] == chosen else by_fused[row][0]])
                others = (float(totals[row]) - first) / (articles - 1) if articles > 1 else 0.0
                # rounded as the match cache keeps it, so a report decides alike from either
                decision = round(first + s["margin"] * (first - second) - s["mean"] * others
                                 - s["self"] * (float(selves[chosen]) - mean_self), 5)
                answered = first >= s["answered"]
                alone = self._pooled(decision, decision, 1, float(centre[row, chosen]))
                answers.append(Answer(question, answered, hits, near=first >= s["near"],
                                      covered=alone >= s["covered"], evidence=decision))
            step("Matching", stop, len(questions))
        return answers

    def _fused(self, vectors: np.ndarray, lexical: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """F for each of VECTORS' questions and each article (see the module docstring), and
        their cosines with each article's centre."""
        import numpy as np

        s = self.settings
        best, centre = self.articles.max_and_centroid(vectors)
        fused = best + s["alpha"] * centre + s["beta"] * np.minimum(lexical, s["clip"])
        fused /= 1 + s["alpha"] + s["beta"]
        return fused, centre

    def _ranked(self, vectors: np.ndarray, fused: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The COUNT articles S ranks first for each question and their S (see the module
        docstring: F's first CANDIDATES articles, re-ranked with the answer model's softmax), and
        the CANDIDATES in F's order."""
        import numpy as np

        s = self.settings
        candidates = top(fused, int(s["candidates"]))
        probabilities = self.head.probabilities(vectors, candidates)
        closeness = np.take_along_axis(fused, candidates, axis=1)
        ranked = (s["fused_weight"] * closeness + s["head_weight"] * probabilities) / (s["fused_weight"] + s["head_weight"])
        # no article near: the model's choice among far articles is noise, closeness the better guess
        far = closeness[:, 0] < s["near"] if candidates.shape[1] else np.zeros(len(candidates), dtype=bool)
        ranked[far] = closeness[far]
        order = np.argsort(-ranked, axis=1, kind="stable")[:, :count]  # ties keep F's order
        return np.take_along_axis(candidates, order, axis=1), np.take_along_axis(ranked, order, axis=1), candidates

    def _pooled(self, own: float, mean: float, size: int, centre: float) -> float:
        """The score that decides a findability fix (see the module docstring)."""
        import math

        s = self.settings
        return own + s["pooled"] * mean + s["size"] * math.log(size) + s["centre"] * centre

    def covered(self, answers: Sequence[Answer], vectors: np.ndarray) -> list[bool]:
        """Findability fixes decided together: each question pools the evidence of its neighbours
        among the questions leaning on the same article (see the module docstring): a few matrix
        products an article (`_pooled_many`), about 0.5 s at 100,000 notes on 2 cores."""
        import numpy as np

        s = self.settings
        found = np.zeros(len(answers), dtype=bool)
        leaning: dict[int, list[int]] = {}
        prefix = self.project.kb_rel + "/"
        for row, answer in enumerate(answers):
            best = answer.best
            if answer.topical and best is not None and best.path.startswith(prefix):
                article = self.articles.by_rel.get(best.path[len(prefix) :])
                if article is not None:
                    leaning.setdefault(article, []).append(row)
        if not leaning:
            return found.tolist()
        projected = self._projected(vectors)
        evidence = np.array([a.evidence for a in answers], dtype=np.float32)
        for article, rows in leaning.items():
            found[rows] = self._pooled_many(np.asarray(rows), projected, vectors, evidence, article) >= s["covered"]
        return found.tolist()

    def _pooled_many(self, rows: np.ndarray, projected: np.ndarray, vectors: np.ndarray, evidence: np.ndarray,
                     article: int) -> np.ndarray:
        """The pooled score of each of ROWS, the questions leaning on ARTICLE (see the module
        docstring). Up to ANCHORS questions, their neighbours are counted exactly; beyond, among
        ANCHORS of them evenly spread in time, each standing for its share of the rest, so a
        popular article among 100,000 notes costs (its notes x ANCHORS) products, not its notes
        squared (on CLINC150 test, 64 anchors instead of all changed the figures by 0.002 or less)."""
        import numpy as np

        s = self.settings
        n = len(rows)
        positions = np.unique(np.linspace(0, n - 1, ANCHORS).round().astype(np.int64)) if n > ANCHORS else np.arange(n)
        anchors = rows[positions]
        slot = np.full(n, -1, dtype=np.int64)  # each question's place among the anchors, -1 for none
        slot[positions] = np.arange(len(positions))
        points, anchor_points = projected[rows], projected[anchors]
        anchor_vectors, anchor_evidence = vectors[anchors], evidence[anchors]
        centre = self.articles.centroids[article]
        scores = np.empty(n, dtype=np.float32)
        for start in range(0, n, CHUNK):
            stop = min(start + CHUNK, n)
            near = (points[start:stop] @ anchor_points.T >= s["neighbours"]).astype(np.float32)
            own_slot = slot[start:stop]
            is_anchor = own_slot >= 0
            near[np.flatnonzero(is_anchor), own_slot[is_anchor]] = 0.0  # each question counts itself once, below
            # how many of the others each anchor stands for (one each, when every question is an anchor)
            weight = np.where(is_anchor, (n - 1) / max(len(anchors) - 1, 1), (n - 1) / len(anchors)).astype(np.float32)
            own = evidence[rows[start:stop]]
            count = 1.0 + weight * near.sum(axis=1)
            mean = (own + weight * (near @ anchor_evidence)) / count
            total = vectors[rows[start:stop]] + weight[:, None] * (near @ anchor_vectors)
            closeness = (total @ centre) / np.maximum(np.linalg.norm(total, axis=1), 1e-12)
            scores[start:stop] = own + s["pooled"] * mean + s["size"] * np.log(count) + s["centre"] * closeness
        return scores

    def _lexical_rows(self, questions: Sequence[str]) -> Any:
        """The lexical scores of each chunk of QUESTIONS, as (chunk x articles) arrays in the
        articles' order (the two indexes number their articles differently)."""
        import numpy as np

        articles = len(self.articles.rels)
        mapping = self._documents()
        if len(questions) <= 4:  # a few questions: term at a time is faster than building sparse products
            for start in range(0, len(questions), self._chunk):
                rows = np.zeros((min(self._chunk, len(questions) - start), articles), dtype=np.float32)
                for row, question in enumerate(questions[start : start + self._chunk]):
                    for doc, score in self.lexical.scores(question).items():
                        if doc < len(mapping) and mapping[doc] >= 0:
                            rows[row, mapping[doc]] = score
                yield rows
            return
        valid = mapping >= 0
        workers = max(min(os.cpu_count() or 1, 4), 1)
        part = min(LEXICAL_CHUNK, -(-len(questions) // workers))  # an equal share for each core
        for block in _rechunked(self.lexical.sparse_scores(questions, part), self._chunk):
            dense = block.toarray()
            rows = np.zeros((len(dense), articles), dtype=np.float32)
            rows[:, mapping[valid]] = dense[:, : len(mapping)][:, valid]
            yield rows

    @property
    def _chunk(self) -> int:
        """Questions scored at once: as many as keep a (questions x article rows) block near 64 MB,
        so a small knowledge base is scored in few large products, a large one within memory."""
        rows = max(len(self.articles.matrix), 1)
        return int(min(max(CHUNK, (16 << 20) // rows // 256 * 256), 4_096))

    def _hit(self, article: int, score: float, question: str | None) -> Any:
        """Article ARTICLE as a hit: what it shows comes from the lexical index (None if it has no such article)."""
        doc = self._docs_of_articles()[article]
        return self.lexical.entry(int(doc)).hit(self.project, score, question) if doc >= 0 else None

    def _docs_of_articles(self) -> np.ndarray:
        """For each article here, its lexical document number (-1: not in the lexical index)."""
        import numpy as np

        if self._article_docs is None:
            docs = np.full(len(self.articles.rels), -1, dtype=np.int64)
            mapping = self._documents()
            known = mapping >= 0
            docs[mapping[known]] = np.flatnonzero(known)
            self._article_docs = docs
        return self._article_docs  # type: ignore[no-any-return]

    def _documents(self) -> np.ndarray:
        """For each lexical document number, the article's position here (-1: not an article here)."""
        import numpy as np

        if self._doc_map is None:
            mapping = np.full(self.lexical.total, -1, dtype=np.int64)
            for doc, rel in self.lexical.paths():
                mapping[doc] = self.articles.by_rel.get(rel, -1)
            self._doc_map = mapping
        return self._doc_map  # type: ignore[no-any-return]

    # --- questions to each other ----------------------------------------------------------------

    def vectors(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """The encoder's vectors of TEXTS (redaction placeholders left out), from the cache where kept."""
        import numpy as np

        step = progress or (lambda what, done, total: None)
        if len(texts) > FEW and self._last is not None:  # a report asks for the same notes' vectors twice
            last_texts, last_vectors = self._last
            where = {text: row for row, text in enumerate(last_texts)}
            rows = [where.get(text, -1) for text in texts]
            if -1 not in rows:
                return last_vectors[rows]  # type: ignore[no-any-return]
        cleaned = [encoder_text(t) for t in texts]
        if len(cleaned) <= FEW:  # encoding a few costs less than reading every kept vector
            known, missing = np.zeros((len(cleaned), self.encoder.dim), dtype=np.float32), list(range(len(cleaned)))
        else:
            known, missing = self.texts.lookup(cleaned)
        fresh = [p for p in missing if cleaned[p] not in self._fresh]
        if fresh:
            wanted = list(dict.fromkeys(cleaned[p] for p in fresh))
            encoded = self.encoder.encode(wanted, lambda done, total: step("Encoding questions", done, total))
            self._fresh.update(zip(wanted, encoded))
        for position in missing:
            known[position] = self._fresh[cleaned[position]]
        if len(texts) > FEW:
            self._last = (list(texts), known)  # read only, as every caller treats what this returns
        return known

    def remember(self, texts: Sequence[str]) -> None:
        import numpy as np

        cleaned = [encoder_text(t) for t in texts]
        kept = [t for t in dict.fromkeys(cleaned) if t in self._fresh]
        if kept:
            self.texts.add(kept, np.stack([self._fresh[t] for t in kept]))

    def group(self, vectors: np.ndarray) -> list[int]:
        """Groups in the knowledge base's own principal directions: what tells its articles apart
        tells questions apart, and 96 dimensions cost a quarter of 384 at 100,000 notes."""
        from .. import cluster

        s = self.settings
        return cluster.cluster(self._projected(vectors), cluster.Settings(micro=s["micro"], merge=s["merge"]))

    def _projected(self, vectors: np.ndarray) -> np.ndarray:
        """VECTORS in the knowledge base's top principal directions, unit length again (float32)."""
        import numpy as np

        basis = self.articles.basis(int(self.settings["dims"]))
        if basis is not None and len(vectors):
            mean, directions = basis
            vectors = (vectors - mean) @ directions
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return vectors.astype(np.float32)

    def same_topic(self, groups: Sequence[Sequence[str]], texts: Sequence[str]) -> int | None:
        import numpy as np

        if not groups or not texts:
            return None
        flat = [text for group in groups for text in group] + list(texts)
        vectors = self.vectors(flat)
        bounds = np.cumsum([0, *(len(g) for g in groups)])
        centre = vectors[bounds[-1] :].mean(axis=0)
        centre /= max(float(np.linalg.norm(centre)), 1e-12)
        sims = []
        for a, b in zip(bounds[:-1], bounds[1:]):
            mean = vectors[a:b].mean(axis=0) if b > a else np.zeros_like(centre)
            sims.append(float(mean @ centre) / max(float(np.linalg.norm(mean)), 1e-12))
        best = int(np.argmax(sims))
        return best if sims[best] >= self.settings["same_topic"] else None
