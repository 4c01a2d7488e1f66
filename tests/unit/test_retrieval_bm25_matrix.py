"""The streamed BM25 build: bm25s's numbers bit for bit, in a fraction of its memory."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from assistant.retrieval import bm25, bm25_matrix
from assistant.retrieval.bm25_matrix import MatrixBuilder
from assistant.types import Chunk, chunk_id

WORDS = [f"w{i}" for i in range(400)] + "wheat harvest port strike tariffs solar".split()


def corpus(n: int, seed: int = 0) -> list[tuple[Chunk, str]]:
    """Chunks arriving out of id order, with repeated words, common and rare words, titles,
    and some with no indexable word at all (indexed under bm25s's empty token)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        pool = WORDS[: rng.choice([8, len(WORDS)])]
        text = " ".join(rng.choice(pool) for _ in range(rng.choice([0, 3, 40, 90])))
        article = f"art-{rng.randrange(10**6):06d}"
        title = rng.choice(["", "Port strike ends", "the"])
        out.append((Chunk(chunk_id(article, i), article, i, text, 0, len(text), title), "h"))
    return out


def bm25s_reference(records: list[tuple[Chunk, str]]):  # type: ignore[no-untyped-def]
    """What the build did before streaming: term ids in arrival order, rows in id order,
    bm25s's own index over the lists of ids."""
    import bm25s
    from bm25s.tokenization import Tokenized

    vocab: dict[str, int] = {}
    rows = []
    for chunk, _ in records:
        terms = bm25.document_terms(chunk) or [""]
        rows.append((chunk.id, [vocab.setdefault(t, len(vocab)) for t in terms]))
    rows.sort(key=lambda r: r[0])
    model = bm25s.BM25()
    model.index(Tokenized(ids=[ids for _, ids in rows], vocab=vocab), show_progress=False)
    return model


def saved(bm25_dir: Path) -> dict[str, np.ndarray]:
    gen = bm25_dir / (bm25_dir / bm25.CURRENT).read_text(encoding="utf-8")
    return {name: np.load(gen / f"{name}.csc.index.npy") for name in ("data", "indices", "indptr")}


@pytest.mark.parametrize("block", [7, 1 << 16])
def test_streamed_build_writes_bm25s_matrix_bit_for_bit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    monkeypatch.setattr(bm25_matrix, "_BLOCK", block)  # 7: scores cross block edges
    records = corpus(300)
    bm25.build(tmp_path / "bm25", iter(records))
    ref = bm25s_reference(records)
    got = saved(tmp_path / "bm25")
    for name in ("data", "indices", "indptr"):
        assert got[name].dtype == ref.scores[name].dtype, name
        assert np.array_equal(got[name], ref.scores[name]), name
    gen = bm25.load(tmp_path / "bm25")
    assert gen is not None and gen.vocab == ref.vocab_dict
    params = json.loads((gen.gen / "params.index.json").read_text(encoding="utf-8"))
    assert params["num_docs"] == 300 and params["method"] == ref.method


def test_streamed_build_ranks_like_bm25s(tmp_path: Path) -> None:
    records = corpus(300, seed=1)
    bm25.build(tmp_path / "bm25", iter(records))
    index = bm25.load(tmp_path / "bm25")
    ref = bm25s_reference(records)
    ids = sorted(chunk.id for chunk, _ in records)
    for query in ("wheat harvest", "port strike w3", "w17 w211 tariffs", "solar w399"):
        query_ids = ref.get_tokens_ids(bm25.tokenize(query))
        want = ref.get_scores(query_ids)
        assert index is not None and np.array_equal(index.scores(query), want), query
        expected = sorted((i for i in range(len(ids)) if want[i] > 0), key=lambda i: -want[i])
        assert [h.chunk.id for h in index.search(query, 10)] == [ids[i] for i in expected[:10]]


def test_build_peak_memory_is_a_fraction_of_bm25s(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tracemalloc counts numpy's buffers too, and is deterministic: no timing, no RSS noise.
    Scoring blocks are made small so that, at this size as at 100k chunks, the peak is the
    per-pair arrays and not one block's fixed temporaries."""
    monkeypatch.setattr(bm25_matrix, "_BLOCK", 4096)
    records = corpus(3000, seed=2)
    builder = MatrixBuilder()
    for chunk, _ in records:
        builder.add(bm25.document_terms(chunk) or [""])
    pairs = builder.pairs
    tracemalloc.start()
    bm25.build(tmp_path / "bm25", iter(records))
    streamed = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    bm25s_reference(records)
    reference = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert streamed < 0.5 * reference, (streamed, reference)
    assert streamed < 32 * pairs, (streamed, pairs)  # int32 ids, counts, scores; the rows


def test_builder_rows_follow_the_order_given() -> None:
    builder = MatrixBuilder()
    assert builder.add(["b", "a", "b"]) == 0
    assert builder.add(["a"]) == 1
    matrix = builder.build([1, 0])
    assert matrix.vocab == {"b": 0, "a": 1, "": 2}
    assert matrix.indptr.tolist() == [0, 1, 3]
    assert matrix.indices.tolist() == [1, 0, 1]  # column "b": doc 0 (row 1); "a": rows 0, 1
    assert matrix.num_docs == 2 and matrix.data.dtype == np.float32
    assert len(builder) == 0  # spent: its arrays were released


def test_builder_refuses_an_order_that_is_not_a_permutation() -> None:
    builder = MatrixBuilder()
    builder.add(["a"])
    builder.add(["b"])
    with pytest.raises(ValueError):
        builder.build([0, 0])
    with pytest.raises(ValueError):
        builder.build([0])


def test_building_imports_neither_bm25s_nor_scipy(tmp_path: Path) -> None:
    """bm25s pulls in scipy: ~27 MB of the ingest's peak for nothing."""
    code = (
        "import sys; from pathlib import Path\n"
        "from assistant.retrieval import bm25\n"
        "from assistant.types import Chunk\n"
        "chunks = [(Chunk(f'a#{i}', 'a', i, f'wheat harvest {i}', 0, 9), 'h') for i in range(5)]\n"
        f"assert bm25.build(Path({str(tmp_path / 'bm25')!r}), chunks) == 5\n"
        "bad = [m for m in ('bm25s', 'scipy') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
