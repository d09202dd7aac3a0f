"""The search module: our term-at-a-time scores equal whoosh's BM25F, and the index stays current."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kbgen.project import Project
from kbgen.search import Searcher
from tests.conftest import ROOT


@pytest.fixture
def demo(tmp_path: Path) -> Project:
    root = tmp_path / "demo"
    shutil.copytree(ROOT / "kb", root / "kb")
    shutil.copy(ROOT / "mkdocs.yml", root / "mkdocs.yml")
    return Project.load(root)


@pytest.mark.parametrize("question", ["I was charged twice", "reset my password please", "sync stuck on the desktop app"])
def test_scores_equal_whoosh_bm25f(demo: Project, question: str) -> None:
    from whoosh import query

    searcher = Searcher.open(demo)
    # edit and delete articles so the index has several segments and deleted documents
    (demo.kb_dir / "billing" / "charged-twice-refunds.md").write_text(
        (demo.kb_dir / "billing" / "charged-twice-refunds.md").read_text().replace("charged twice??", "billed two times")
    )
    (demo.kb_dir / "troubleshooting" / "slow-uploads.md").unlink()
    searcher = Searcher.open(demo)
    parts, _ = searcher._query(question)
    ours = searcher.terms.top(parts, 10)
    whoosh_query = query.Or([query.Term(field, term, boost=boost) for field, term, boost in parts])
    theirs = [(hit.docnum, hit.score) for hit in searcher.whoosh_searcher().search(whoosh_query, limit=10)]
    assert [doc for doc, _ in ours] == [doc for doc, _ in theirs]
    assert [round(score, 6) for _, score in ours] == [round(score, 6) for _, score in theirs]
    assert all(searcher.terms.stored(doc)["slug"] != "slow-uploads" for doc, _ in ours)
