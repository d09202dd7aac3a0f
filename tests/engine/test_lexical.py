"""The lexical signal: our term-at-a-time scores equal whoosh's BM25F, and the index stays current."""

from __future__ import annotations


import pytest

from kbgen.project import Project
from kbgen.engine.lexical import NUMPY_POSTINGS, LexicalEngine, LexicalIndex
from tests.conftest import ROOT


@pytest.mark.parametrize("question", ["I was charged twice", "reset my password please", "sync stuck on the desktop app"])
def test_scores_equal_whoosh_bm25f(demo: Project, question: str) -> None:
    from whoosh import query

    searcher = LexicalIndex.open(demo)
    # edit and delete articles so the index has several segments and deleted documents
    (demo.kb_dir / "billing" / "charged-twice-refunds.md").write_text(
        (demo.kb_dir / "billing" / "charged-twice-refunds.md").read_text().replace("charged twice??", "billed two times")
    )
    (demo.kb_dir / "troubleshooting" / "slow-uploads.md").unlink()
    searcher = LexicalIndex.open(demo)
    parts, _ = searcher._query(question)
    ours = searcher.terms.top(parts, 10)
    whoosh_query = query.Or([query.Term(field, term, boost=boost) for field, term, boost in parts])
    theirs = [(hit.docnum, hit.score) for hit in searcher.whoosh_searcher().search(whoosh_query, limit=10)]
    assert [doc for doc, _ in ours] == [doc for doc, _ in theirs]
    assert [round(score, 6) for _, score in ours] == [round(score, 6) for _, score in theirs]
    assert all(searcher.terms.stored(doc)["slug"] != "slow-uploads" for doc, _ in ours)


ANALYZER_SAMPLES = [
    "I was charged twice?? Can't log in!!",
    "Don't   know what's wrong w/ my iPhone's camera-upload (iOS 26.1)",
    "ÉLAN café naïve STRASSE straße İstanbul ΣΊΣΥΦΟΣ",
    "snake_case_word foo's bar'' 'quoted' 123abc 4.5GB",
    "",
]


@pytest.mark.parametrize("text", ANALYZER_SAMPLES)
def test_fast_analyzers_give_exactly_the_terms_whoosh_indexes(text: str) -> None:
    from kbgen.engine.lexical import _analyzers, char_ngrams, stem_words

    words, ngrams = _analyzers()
    assert stem_words(text) == [t.text for t in words(text, mode="query")]
    assert stem_words(text) == [t.text for t in words(text)]
    assert char_ngrams(text) == [t.text for t in ngrams(text, mode="query")]


def test_fast_analyzers_agree_with_whoosh_on_every_demo_article() -> None:
    from kbgen.engine.lexical import _analyzers, char_ngrams, stem_words

    words, ngrams = _analyzers()
    for path in sorted((ROOT / "kb").rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        assert stem_words(text) == [t.text for t in words(text)], path
        assert char_ngrams(text) == [t.text for t in ngrams(text)], path


def test_matching_many_questions_at_once_equals_one_at_a_time(demo: Project) -> None:
    from kbgen.notes import NoteLog

    questions = [n.question for n in NoteLog(ROOT / "gaps").read()][:150] + ["", "zzzz qqqq", "?!"]
    engine = LexicalEngine(demo, LexicalIndex.open(demo))
    together = engine.ask_many(questions, limit=3)
    for question, many in zip(questions, together):
        single = engine.ask(question, limit=3)
        assert many.answered == single.answered and many.topical == single.topical, question
        assert [h.slug for h in many.hits] == [h.slug for h in single.hits], question
        assert [h.score for h in many.hits] == pytest.approx([h.score for h in single.hits], abs=1e-9)


def test_preloaded_frequencies_equal_looked_up_ones(demo: Project) -> None:
    searcher = LexicalIndex.open(demo)
    terms = ["refund", "charg", "password", "zzzz", " re", "und ", "é"]
    looked_up = {(f, t): searcher.terms.reader.doc_frequency(f, t) for f in ("questions", "ngrams", "body") for t in terms}
    searcher.terms.preload(["questions", "ngrams", "body"])
    assert {(f, t): searcher.terms.doc_frequency(f, t) for f, t in looked_up} == looked_up
    assert any(looked_up.values())


def test_field_lengths_read_by_column_equal_whoosh_per_document(demo: Project) -> None:
    # several segments and a deleted document: edit one article, add one, so the index is updated, not rebuilt
    LexicalIndex.open(demo).close()
    article = next(demo.kb_dir.glob("billing/*.md"))
    article.write_text(article.read_text(encoding="utf-8").replace("title: ", "title: Edited ", 1), encoding="utf-8")
    (demo.kb_dir / "billing" / "added-one.md").write_text("---\ntitle: A new one\nquestions: [a new question]\n---\nBody.\n", encoding="utf-8")
    index = LexicalIndex.open(demo)
    reader = index.terms.reader
    assert len(reader.leaf_readers()) >= 2 or reader.has_deletions()
    for field in ("questions", "title", "body", "ngrams"):
        assert index.terms._field_lengths(field) == [reader.doc_field_length(d, field, 0) or 0 for d in range(index.terms.total)]
    index.close()


def test_in_a_large_knowledge_base_a_function_word_few_articles_use_names_their_topic(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    root = tmp_path / "large"
    (root / "kb" / "topics").mkdir(parents=True)
    shutil.copy(ROOT / "mkdocs.yml", root / "mkdocs.yml")
    for n in range(60):
        (root / "kb" / "topics" / f"topic-{n}.md").write_text(
            f"---\ntitle: Topic {n}\nquestions:\n  - how do I use feature{n}\n  - where is feature{n}\n---\nBody.\n", encoding="utf-8")
    (root / "kb" / "topics" / "thanks.md").write_text(
        "---\ntitle: Saying thanks\nquestions:\n  - thank you so much\n  - thanks\n---\nYou're welcome.\n", encoding="utf-8")
    from kbgen.project import Project as LoadedProject

    index = LexicalIndex.open(LoadedProject.load(root))
    try:
        assert index.topical("thank you")  # two of 61 articles' phrasings say it: their topic
        assert not index.topical("how do I")  # in every article's phrasings: asks nothing
        assert not index.topical("hello, please")  # function words no phrasing uses ask nothing either
        assert index.topical("feature7")
    finally:
        index.close()


def test_in_a_small_knowledge_base_function_words_ask_nothing(demo: Project) -> None:
    index = LexicalIndex.open(demo)
    try:
        assert not index.topical("thank you") and not index.topical("hello there")
        assert index.topical("refund")
    finally:
        index.close()


def test_postings_read_a_block_at_a_time_equal_whoosh_walking_them(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # 300 articles share "invoice" (three posting blocks of at most 128); editing and removing some
    # leaves several segments and deleted documents
    root = tmp_path / "kb-blocks"
    (root / "kb" / "billing").mkdir(parents=True)
    (root / "mkdocs.yml").write_text("site_name: Blocks\nsite_url: https://help.test/\n", encoding="utf-8")
    for i in range(300):
        extra = " refund" * (i % 3)
        (root / "kb" / "billing" / f"a{i}.md").write_text(
            f"---\ntitle: Invoice number {i}\nquestions: [where is invoice {i}{extra}]\n---\nThe invoice{extra} body {i}.\n",
            encoding="utf-8")
    project = Project.load(root)
    LexicalIndex.open(project).close()
    for i in (0, 5, 130, 131, 299):
        path = root / "kb" / "billing" / f"a{i}.md"
        path.write_text(path.read_text(encoding="utf-8").replace("Invoice number", "Invoice no."), encoding="utf-8")
    for i in (7, 200):
        (root / "kb" / "billing" / f"a{i}.md").unlink()
    index = LexicalIndex.open(project)
    reader = index.terms.reader
    assert len(reader.leaf_readers()) >= 2 and reader.has_deletions()
    checked = 0
    lengths = set()
    for field, term in (("questions", "invoic"), ("body", "invoic"), ("title", "invoic"), ("questions", "refund"),
                        ("title", "no"), ("questions", "zzzz"), ("ngrams", " in")):
        walked: list[tuple[int, float]] = []
        if reader.doc_frequency(field, term):
            matcher = reader.postings(field, term)
            while matcher.is_active():
                walked.append((matcher.id(), matcher.weight()))
                matcher.next()
        docs, scores = index.terms.postings(field, term)
        assert docs == [doc for doc, _ in walked], (field, term)
        if walked:  # whoosh's BM25F of each posting, from the term frequency it walked to
            terms = index.terms
            norm, idf, k1 = terms.norms(field), terms.idf(field, term), terms.K1
            assert scores == [idf * (tf * (k1 + 1)) / (tf + norm[doc]) for doc, tf in walked], (field, term)
        checked += len(walked)
        lengths.add(len(walked))
    assert checked > 600
    # both ways of scoring a list were compared: in Python (short) and with numpy (long)
    assert min(lengths - {0}) < NUMPY_POSTINGS <= max(lengths)
    index.close()


def test_counted_fields_index_exactly_what_whoosh_analyzers_index(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from whoosh import fields, index

    from kbgen.engine.catalog import indexable, read, scan
    from kbgen.engine.lexical import CountedText, _analyzers, _document, _fast_lengths, _schema

    project = Project.load(ROOT)
    documents = [_document(rel, article) for rel, article in read(project, sorted(scan(project))) if indexable(article)]
    documents.append({**documents[0], "path": "extra.md", "body": "Don't   can't ÉLAN café naïve straße 4.5GB snake_case", "title": ""})
    ours = _schema()
    words, ngrams = _analyzers()
    plain = fields.Schema(**{name: (fields.TEXT(analyzer=ngrams if name == "ngrams" else words, phrase=False, stored=field.stored)
                                    if isinstance(field, CountedText) else field) for name, field in ours.items()})
    readers = []
    for name, schema in (("ours", ours), ("plain", plain)):
        (tmp_path / name).mkdir()
        writer = index.create_in(str(tmp_path / name), schema).writer()
        if name == "ours":
            writer = _fast_lengths(writer)  # as the first build writes: field lengths read a column at once
        for document in documents:
            writer.add_document(**document)
        writer.commit()
        readers.append(index.open_dir(str(tmp_path / name)).reader())
    counted, analysed = readers
    for field in ("title", "questions", "ngrams", "body"):
        terms = list(analysed.lexicon(field))
        assert list(counted.lexicon(field)) == terms and len(terms) > 50, field
        for term in terms:
            assert list(counted.postings(field, term).items_as("weight")) == list(analysed.postings(field, term).items_as("weight"))
            assert _blocks(counted.postings(field, term)) == _blocks(analysed.postings(field, term))
        assert [counted.doc_field_length(d, field) for d in range(len(documents))] == \
               [analysed.doc_field_length(d, field) for d in range(len(documents))]
    for reader in readers:
        reader.close()


def _blocks(matcher) -> list[tuple[int, int, float, int, int]]:  # type: ignore[no-untyped-def]
    """Each posting block's length, last document, highest weight and shortest and longest field."""
    found = []
    while matcher.is_active():
        found.append((matcher._blocklength, matcher.block_max_id(), matcher.block_max_weight(),
                      matcher.block_min_length(), matcher.block_max_length()))
        matcher._next_block()
    return found
