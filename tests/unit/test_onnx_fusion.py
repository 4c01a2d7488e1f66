"""The fused MiniLM graph: same vectors as the plain graph, its own cache file, old files
left behind so existing installs re-convert, and the int8 graph quantized from it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from assistant.ingest.prepare import prepare
from assistant.retrieval import onnx_minilm
from assistant.retrieval.embeddings import MiniLMOnnxEmbedder
from assistant.settings import load_settings
from tests.conftest import SEEDS

if TYPE_CHECKING:
    import onnx


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
        f"{fused.stem}-int8v2.onnx",  # the int8 graph with a quantized attention
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
def test_int8_graph_quantizes_the_feed_forward_matmuls_of_the_fused_graph() -> None:
    settings = load_settings()
    int8 = MiniLMOnnxEmbedder(settings, quantized=True)
    assert int8.name == "minilm:all-MiniLM-L6-v2-int8v3"  # other vectors than v2: a rebuild
    int8.prepare()
    ops = _ops(onnx_minilm.quantized_path(settings.models_dir))
    layers = onnx_minilm.LAYERS
    assert ops["MatMulInteger"] == 2 * layers  # intermediate and output dense
    assert ops["Attention"] == layers and ops["QAttention"] == 0  # attention stays fp32
    assert ops["MatMul"] == layers  # the attention's output projection too
    vector = int8.embed_query("The orchestra will tour six cities next spring.")
    assert np.isclose(np.linalg.norm(vector), 1.0, atol=1e-5)


def _tiny_model() -> onnx.ModelProto:
    """x (1, 4) -> MatMul by a weight -> MatMul by another weight -> MatMul by an input."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    inits = [
        numpy_helper.from_array(rng.standard_normal((4, 4)).astype(np.float32), name)
        for name in ("l0.a.weight", "l0.b.weight")
    ]
    nodes = [
        helper.make_node("MatMul", ["x", "l0.a.weight"], ["h"]),
        helper.make_node("MatMul", ["h", "l0.b.weight"], ["g"]),
        helper.make_node("MatMul", ["g", "y"], ["out"]),
    ]
    f = TensorProto.FLOAT
    graph = helper.make_graph(
        nodes,
        "tiny",
        [
            helper.make_tensor_value_info("x", f, [1, 4]),
            helper.make_tensor_value_info("y", f, [4, 2]),
        ],
        [helper.make_tensor_value_info("out", f, [1, 2])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def test_weight_matmuls_are_named_after_their_weights() -> None:
    named = onnx_minilm.name_nodes(_tiny_model())
    assert [n.name for n in named.graph.node] == ["l0.a", "l0.b", ""]  # not the input product


def test_quantize_keeps_excluded_nodes_in_fp32(tmp_path: Path) -> None:
    import onnx

    src = tmp_path / "tiny.onnx"
    onnx.save(_tiny_model(), str(src))
    onnx_minilm.quantize(src, tmp_path / "all.onnx")
    onnx_minilm.quantize(src, tmp_path / "some.onnx", exclude=("l0.b",), weight="u8")
    assert _ops(tmp_path / "all.onnx")["MatMulInteger"] == 2
    some = onnx.load(str(tmp_path / "some.onnx"))
    assert Counter(n.op_type for n in some.graph.node)["MatMulInteger"] == 1
    kept = [n for n in some.graph.node if n.op_type == "MatMul" and "l0.b.weight" in n.input]
    assert len(kept) == 1  # l0.b still multiplies by its float weight
    quantized = [t for t in some.graph.initializer if t.name.startswith("l0.a.weight")]
    assert any(t.data_type == onnx.TensorProto.UINT8 for t in quantized)
    with pytest.raises(ValueError, match=r"l0\.c"):
        onnx_minilm.quantize(src, tmp_path / "bad.onnx", exclude=("l0.c",))


def test_batch_size_defaults_per_provider() -> None:
    from assistant.retrieval.embeddings import make_embedder

    assert MiniLMOnnxEmbedder(load_settings()).batch_size == MiniLMOnnxEmbedder.default_batch == 8
    assert MiniLMOnnxEmbedder(load_settings(embedding={"batch_size": 32})).batch_size == 32
    remote = make_embedder(
        load_settings(embedding={"provider": "openai", "model": "m", "base_url": "http://x/v1"})
    )
    assert remote.batch_size == 64  # type: ignore[attr-defined]
