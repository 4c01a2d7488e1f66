"""bench/static_int8.py and quantized_recall.py --max-tokens: calibration reads the dev weeks
only, calibration batches have the shapes the calibrators need, truncation is applied. No
model session is created and nothing asserts on times."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.retrieval.embeddings import MiniLMOnnxEmbedder
from assistant.settings import load_settings
from bench import quantized_recall, static_int8

REPORT_WEEKS = ("20230310", "20230512", "20230714", "20231006")


def _article(words: str) -> str:
    return f"---\ntitle: A story\n---\n\n{words}\n"


def test_calibration_reads_the_dev_weeks_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for week in static_int8.DEV_WEEKS + REPORT_WEEKS:
        corpus = tmp_path / "evals/realtimeqa/corpus" / week
        corpus.mkdir(parents=True)
        for i in range(3):
            text = f"Week {week} article {i} says the council met on Tuesday to vote."
            (corpus / f"{week}-{i}.md").write_text(_article(text))
    monkeypatch.setattr(static_int8, "ROOT", tmp_path)
    texts = static_int8.calibration_texts(8, load_settings())
    assert len(texts) == 8
    weeks = {t.split()[1] for t in texts}
    assert weeks == set(static_int8.DEV_WEEKS)  # spread over all four, no report week


def test_calibration_batches_are_sorted_padded_or_fixed_width() -> None:
    embedder = MiniLMOnnxEmbedder(load_settings())
    texts = [" ".join(["word"] * n) for n in (3, 40, 12, 60, 25, 50, 8, 45, 55, 33)]
    reader = static_int8.ChunkReader(embedder, texts, batch=4)
    feeds = list(iter(reader.get_next, None))
    assert [f["input_ids"].shape[0] for f in feeds] == [4, 4, 2]
    widths = [f["input_ids"].shape[1] for f in feeds]
    assert widths == sorted(widths)  # length-sorted, as the embedder batches
    first = feeds[0]
    assert first["attention_mask"].sum(axis=1).tolist()[0] < first["input_ids"].shape[1]

    fixed = static_int8.ChunkReader(embedder, texts, batch=2, width=30)
    feeds = list(iter(fixed.get_next, None))
    # texts of >= 30 tokens: 33, 40, 45, 50, 55, 60 words -> 3 batches, all 2 x 30, no padding
    assert [f["input_ids"].shape for f in feeds] == [(2, 30)] * 3
    assert all(f["attention_mask"].all() for f in feeds)
    sep = embedder._encode(["x"])[0][-1]
    assert all((f["input_ids"][:, -1] == sep).all() for f in feeds)  # the last token kept
    fixed.rewind()
    assert np.array_equal(fixed.get_next()["input_ids"], feeds[0]["input_ids"])


def test_max_tokens_truncates_every_minilm_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        MiniLMOnnxEmbedder, "_ensure_tokenizer", MiniLMOnnxEmbedder._ensure_tokenizer
    )
    long_text = " ".join(["word"] * 300)
    assert MiniLMOnnxEmbedder(load_settings()).count_tokens([long_text]) == 256
    quantized_recall.truncate_at(128)
    assert MiniLMOnnxEmbedder(load_settings()).count_tokens([long_text]) == 128
