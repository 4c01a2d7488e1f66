"""The five seed articles through the whole ingest pipeline: metadata, cleaning, chunk offsets."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.ingest import discover
from assistant.ingest.prepare import Prepared, prepare
from assistant.settings import load_settings
from assistant.text.sentences import sentence_spans
from assistant.types import chunk_id
from tests.conftest import SEEDS

SEED_IDS = sorted(p.name for p in SEEDS.glob("*.txt"))

EXPECTED = {
    "000_7da489a1ea8c4972.txt": {
        "title": "China on multiple occasions urges US to rectify 'toxic' political atmosphere "
        "that obstructs cooperation",
        "outlet": "Global Times",
        "published": "2021-09-02T21:48",
        "updated": "2021-09-03T08:24",
        "byline": "",
    },
    "001_5afc2ed96cba7e86.txt": {
        "title": "US urged to honor words after Blinken concludes ‘candid, substantive and "
        "constructive’ meetings in China",
        "outlet": "Global Times",
        "published": "",
        "updated": "",
        "byline": "",
    },
    "002_795a1b929e5acf24.txt": {
        "title": "China’s Communist Party Cries Out for “U.S.-China Cooperation” U.S. Department "
        "of State: Align with Allies First",
        "outlet": "",
        "published": "",
        "updated": "",
        "byline": "",
    },
    "003_7d1f377c2dc1bafd.txt": {
        "title": "Yang Jiechi Meets with U.S. Special Presidential Envoy for Climate John Kerry "
        "via Video Link",
        "outlet": "",
        "published": "",
        "updated": "",
        "byline": "",
    },
    "004_f1e306ec60aba5e6.txt": {
        "title": "Constructive and unifying agenda shows how countries can get along",
        "outlet": "China Daily",
        "published": "",
        "updated": "2021-12-01T09:05",
        "byline": "China Daily editorial",
    },
}

BOILERPLATE = (
    "Photo:",
    "All rights reserved",
    "Suggest to a Friend",
    "Home »",
    "Source: Global Times",
)


@pytest.fixture
def seeds() -> dict[str, Prepared]:
    settings = load_settings()
    return {name: prepare(SEEDS / name, name, settings) for name in SEED_IDS}


def test_discover_finds_the_five_seeds_by_file_name() -> None:
    found, errors = discover([SEEDS])
    assert errors == []
    assert [article_id for _, article_id in found] == SEED_IDS
    assert all(path.parent == SEEDS for path, _ in found)


@pytest.mark.parametrize("name", SEED_IDS)
def test_seed_metadata(seeds: dict[str, Prepared], name: str) -> None:
    article = seeds[name].article
    got = {field: getattr(article, field) for field in EXPECTED[name]}
    assert got == EXPECTED[name]
    assert article.id == name
    assert len(article.content_hash) == 64


def test_updated_only_article_still_carries_a_date(seeds: dict[str, Prepared]) -> None:
    prepared = seeds["004_f1e306ec60aba5e6.txt"]
    assert prepared.article.date == "2021-12-01T09:05"
    assert {c.published for c in prepared.chunks} == {"2021-12-01T09:05"}


@pytest.mark.parametrize("name", SEED_IDS)
def test_every_chunk_is_a_verbatim_slice_of_the_file(seeds: dict[str, Prepared], name: str) -> None:
    prepared = seeds[name]
    assert prepared.text == (SEEDS / name).read_bytes().decode("utf-8")
    assert prepared.chunks
    for index, chunk in enumerate(prepared.chunks):
        assert prepared.text[chunk.start : chunk.end] == chunk.text
        assert chunk.text == chunk.text.strip()
        assert chunk.index == index
        assert chunk.id == chunk_id(name, index)
        assert chunk.article_id == name
        assert (chunk.title, chunk.outlet) == (prepared.article.title, prepared.article.outlet)
        assert len(chunk.text) <= 700
    starts = [c.start for c in prepared.chunks]
    assert starts == sorted(set(starts))


@pytest.mark.parametrize("name", SEED_IDS)
def test_no_chunk_carries_boilerplate_or_the_title(seeds: dict[str, Prepared], name: str) -> None:
    prepared = seeds[name]
    for chunk in prepared.chunks:
        for marker in BOILERPLATE:
            assert marker not in chunk.text
        assert not chunk.text.startswith(prepared.article.title)
        assert "Published:" not in chunk.text
        assert "Updated:" not in chunk.text


@pytest.mark.parametrize("name", SEED_IDS)
def test_chunks_never_span_dropped_material(seeds: dict[str, Prepared], name: str) -> None:
    prepared = seeds[name]
    for chunk in prepared.chunks:
        for span, _reason in prepared.dropped:
            assert chunk.end <= span.start or span.end <= chunk.start


def test_004_keeps_only_the_first_copy_of_its_text(seeds: dict[str, Prepared]) -> None:
    prepared = seeds["004_f1e306ec60aba5e6.txt"]
    text = prepared.text
    first = "Russian Foreign Minister Sergei Lavrov's visit to China"
    second_copy = text.index(first, text.index(first) + 1)
    assert all(c.end <= second_copy for c in prepared.chunks)
    assert sum(reason == "duplicate" for _, reason in prepared.dropped) == 10

    paragraphs = [p.strip() for p in text[:second_copy].split("\n\n") if len(p.strip()) > 150]
    assert len(paragraphs) == 9
    for paragraph in paragraphs:
        holders = [c for c in prepared.chunks if paragraph[:80] in c.text]
        assert len(holders) == 1, paragraph[:60]
    openings = [_first_sentence(c.text) for c in prepared.chunks]
    assert len(openings) == len(set(openings))


def test_seed_dropped_reasons(seeds: dict[str, Prepared]) -> None:
    def reasons(name: str) -> dict[str, str]:
        prepared = seeds[name]
        return {prepared.text[s.start : s.end]: r for s, r in prepared.dropped}

    r000 = reasons("000_7da489a1ea8c4972.txt")
    assert r000["CHINA\xa0/\xa0POLITICS"] == "section label"
    assert r000["Photo: fmprc.gov.cn"] == "photo credit"
    assert r000["China-Russia ties 'seamless' to uphold world order facing hegemony"] == "heading"
    assert r000["Published: Sep 02, 2021 09:48 PM Updated: Sep 03, 2021 08:24 AM"] == "metadata"
    r001 = reasons("001_5afc2ed96cba7e86.txt")
    assert r001["Asia China Global News News North America Politics US"] == "section label"
    assert r001["Source: Global Times"] == "metadata"
    assert r001["Challenges ahead"] == "heading"
    assert [r for t, r in r001.items() if t.startswith("Home »")] == ["breadcrumb"]
    assert reasons("003_7d1f377c2dc1bafd.txt")["Suggest to a Friend:"] == "boilerplate"
    r004 = reasons("004_f1e306ec60aba5e6.txt")
    assert r004["Opinion Flash"] == "section label"
    assert r004["By China Daily editorial | chinawatch.cn | Updated: 2021-12-01 09:05"] == "byline"


def test_event_date_in_prose_is_not_a_publication_date(seeds: dict[str, Prepared]) -> None:
    prepared = seeds["003_7d1f377c2dc1bafd.txt"]
    assert "On September 2, 2021" in prepared.chunks[0].text
    assert prepared.article.date == ""


def _first_sentence(text: str) -> str:
    start, end = sentence_spans(text)[0]
    return text[start:end]


def test_prepare_uses_the_given_article_id(tmp_path: Path) -> None:
    prepared = prepare(SEEDS / SEED_IDS[0], "sub/x.txt", load_settings())
    assert prepared.article.id == "sub/x.txt"
    assert prepared.chunks[0].id == "sub/x.txt#0000"
