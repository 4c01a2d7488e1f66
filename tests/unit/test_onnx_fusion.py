"""The fused MiniLM graph: same vectors as the plain graph, its own cache file, old files
left behind so existing installs re-convert, and the int8 graph quantized from it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from assistant.ingest.prepare import prepare
from assistant.retrieval import onnx_minilm
from assistant.retrieval.embeddings import MiniLMOnnxEmbedder
from assistant.settings import load_settings
from tests.conftest import SEEDS


def _ops(path: Path) -> Counter[str]:
    import onnx

    return Counter(n.op_type for n in onnx.load(str(path), load_external_data=False).graph.node)


@pytest.mark.slow
def test_fused_graph_gives_the_plain_graphs_vectors_on_the_seed_chunks() -> None:
    settings = load_settings()
    texts = [
        c.text for p in sorted(SEEDS.glob("*.txt")) for c in prepare(p, p.stem, settings).chunks
    ]
    assert len(texts) > 40
    fused = MiniLMOnnxEmbedder(settings)
    plain = MiniLMOnnxEmbedder(settings, fused=False)
    a, b = fused.embed_documents(texts), plain.embed_documents(texts)
    assert (a * b).sum(axis=1).min() >= 0.9999
    assert fused.name == plain.name == "minilm:all-MiniLM-L6-v2"  # equivalent: no re-ingest

    cfg = onnx_minilm.BertConfig.from_dir(onnx_minilm.source_dir())
    fused_ops = _ops(onnx_minilm.onnx_path(settings.models_dir))
    assert fused_ops["Attention"] == cfg.layers == 6
    assert fused_ops["SkipLayerNormalization"] == 2 * cfg.layers
    assert fused_ops["BiasGelu"] == cfg.layers
    plain_ops = _ops(onnx_minilm.onnx_path(settings.models_dir, fused=False))
    assert plain_ops["Attention"] == 0 and plain_ops["Softmax"] == cfg.layers


def test_fused_and_plain_graphs_have_versioned_names(tmp_path: Path) -> None:
    fused = onnx_minilm.onnx_path(tmp_path)
    plain = onnx_minilm.onnx_path(tmp_path, fused=False)
    tag = f"-g{onnx_minilm.GRAPH_VERSION}"
    assert plain.name.endswith(f"{tag}.onnx")
    assert fused.name.endswith(f"{tag}-fused{onnx_minilm.FUSION_VERSION}.onnx")
    int8 = onnx_minilm.quantized_path(tmp_path)
    assert int8.name == f"{fused.stem}-int8v{onnx_minilm.QUANT_VERSION}.onnx"


def test_files_of_an_older_graph_are_not_reused(tmp_path: Path) -> None:
    """An install converted before the fusion has only ``-g1`` files: it converts again."""
    fused = onnx_minilm.onnx_path(tmp_path)
    current = f"-g{onnx_minilm.GRAPH_VERSION}-fused{onnx_minilm.FUSION_VERSION}"
    for name in (
        fused.name.replace(current, "-g1"),  # the first graph
        fused.name.replace(current, f"-g{onnx_minilm.GRAPH_VERSION}"),  # this graph, unfused
        fused.name.replace(current, "-g1-int81"),  # the first int8 graph
    ):
        (tmp_path / name).write_bytes(b"graph")
        (tmp_path / f"{name}.data").write_bytes(b"weights")
    for quantized in (False, True):
        settings = load_settings(model_cache_dir=tmp_path, embedding={"quantized": quantized})
        assert MiniLMOnnxEmbedder.needs_conversion(settings)

    fused.write_bytes(b"graph")
    onnx_minilm.data_path(fused).write_bytes(b"weights")
    assert not MiniLMOnnxEmbedder.needs_conversion(load_settings(model_cache_dir=tmp_path))


@pytest.mark.slow
def test_int8_graph_is_quantized_from_the_fused_graph() -> None:
    settings = load_settings()
    int8 = MiniLMOnnxEmbedder(settings, quantized=True)
    assert int8.name == "minilm:all-MiniLM-L6-v2-int8v2"  # other vectors than the first int8
    int8.prepare()
    ops = _ops(onnx_minilm.quantized_path(settings.models_dir))
    assert ops["QAttention"] == 6 and ops["MatMulInteger"] > 0
    assert ops["MatMul"] == 0 and ops["Attention"] == 0
    vector = int8.embed_query("The orchestra will tour six cities next spring.")
    assert np.isclose(np.linalg.norm(vector), 1.0, atol=1e-5)


def test_batch_size_defaults_per_provider() -> None:
    from assistant.retrieval.embeddings import make_embedder

    assert MiniLMOnnxEmbedder(load_settings()).batch_size == MiniLMOnnxEmbedder.default_batch == 8
    assert MiniLMOnnxEmbedder(load_settings(embedding={"batch_size": 32})).batch_size == 32
    remote = make_embedder(
        load_settings(embedding={"provider": "openai", "model": "m", "base_url": "http://x/v1"})
    )
    assert remote.batch_size == 64  # type: ignore[attr-defined]
