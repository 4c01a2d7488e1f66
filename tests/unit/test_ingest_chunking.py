"""Cleaning spans and chunk offsets on small hand-made texts."""

from __future__ import annotations

import itertools

from assistant.ingest.chunking import blocks, chunk_article
from assistant.ingest.cleaning import Span, clean
from assistant.types import Article

ARTICLE = Article(id="a.txt", path="a.txt", title="", outlet="Example", published="2021-09-02")


def sentences(n: int, word: str = "talks") -> str:
    return " ".join(
        f"Sentence {i} says the {word} with Mr. Li went on in the U.S. capital." for i in range(n)
    )


def test_kept_spans_are_untouched_slices_and_drops_have_reasons() -> None:
    text = (
        "WORLD / ASIA\nEnvoys keep talking\nSource: Example News\n\n"
        "First paragraph of the story.\n\nPhoto: Xinhua\n\nSecond paragraph.\n\n"
        "First paragraph of the story.\n\nAll rights reserved.\n"
    )
    kept, dropped = clean(text, ARTICLE)
    assert [text[s.start : s.end] for s in kept] == [
        "First paragraph of the story.",
        "Second paragraph.",
    ]
    assert [(text[s.start : s.end], r) for s, r in dropped] == [
        ("WORLD / ASIA", "section label"),
        ("Envoys keep talking", "title"),
        ("Source: Example News", "metadata"),
        ("Photo: Xinhua", "photo credit"),
        ("First paragraph of the story.", "duplicate"),
        ("All rights reserved.", "copyright"),
    ]


def test_hard_wrapped_paragraph_is_one_span_and_not_a_title() -> None:
    text = "The envoys met on Thursday and\nagreed to keep talking about\nclimate cooperation.\n"
    kept, dropped = clean(text, ARTICLE)
    assert dropped == []
    assert [text[s.start : s.end] for s in kept] == [text.strip()]


def test_blocks_split_only_where_something_was_dropped() -> None:
    text = "one.\n\ntwo.\n\nPhoto: x\n\nthree.\n"
    kept = [Span(0, 4), Span(6, 10), Span(text.index("three"), text.index("three") + 6)]
    assert blocks(text, kept) == [Span(0, 10), kept[2]]


def test_long_paragraph_chunks_overlap_and_cut_at_sentence_ends() -> None:
    para = sentences(30)
    text = f"Title\n\n{para}\n"
    kept = [Span(7, 7 + len(para))]
    chunks = chunk_article(ARTICLE, text, kept, 300, 120)
    assert len(chunks) > 5
    for chunk, after in itertools.pairwise(chunks):
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.text.endswith("capital.")
        assert after.text.startswith("Sentence")
        assert after.start < chunk.end  # overlap
    assert all(len(c.text) <= 300 for c in chunks)
    assert {(c.outlet, c.published) for c in chunks} == {("Example", "2021-09-02")}


def test_offsets_stay_right_when_text_repeats() -> None:
    para = sentences(12, "same")
    text = f"{para}\n\nPhoto: x\n\n{para}\n"
    second = text.rindex(para)
    kept = [Span(0, len(para)), Span(second, second + len(para))]
    chunks = chunk_article(ARTICLE, text, kept, 200, 60)
    assert [c.index for c in chunks] == list(range(len(chunks)))
    first_half = [c for c in chunks if c.end <= len(para)]
    second_half = [c for c in chunks if c.start >= second]
    assert len(first_half) == len(second_half) == len(chunks) // 2
    assert [c.start + second for c in first_half] == [c.start for c in second_half]
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text


def test_chunks_never_cross_dropped_lines() -> None:
    text = "Alpha one. Alpha two.\nPhoto: x\nBeta one. Beta two.\n"
    kept, dropped = clean(text, ARTICLE)
    chunks = chunk_article(ARTICLE, text, kept, 700, 120)
    assert [c.text for c in chunks] == ["Alpha one. Alpha two.", "Beta one. Beta two."]
    assert [r for _, r in dropped] == ["photo credit"]


def test_overlap_larger_than_size_is_capped() -> None:
    para = sentences(10)
    chunks = chunk_article(ARTICLE, para, [Span(0, len(para))], 150, 2000)
    assert all(para[c.start : c.end] == c.text for c in chunks)
