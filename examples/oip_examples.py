"""OIP-only example models: graphs a feature schema cannot describe, served over /v2 only.

    colour-image/1.0.0     FP32 image [batch, 3, height, width] (any size) -> the dominant colour
    token-sentiment/1.0.0  INT64 input_ids + attention_mask [batch, sequence] -> sentiment

Both are trained here with numpy (a softmax regression on channel means; naive-Bayes token
weights on the sentiment corpus of train.py) and written as hand-built ONNX graphs, with
metadata.json (registration body without schemas: OIP-only), oip-samples.json (an OIP v2
request and python onnxruntime's outputs for it) and, for the text model, vocab.json.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8
IMAGE_SEED = 31
IMAGE_CLASSES = ["red", "green", "blue"]
TEXT_CLASSES = ["negative", "positive"]
SAMPLE_ROWS = 8
PAD, UNK = 0, 1
TOKEN = re.compile(r"[a-z']+")


def _write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2) + "\n", encoding="utf-8")


def _model(graph: onnx.GraphProto, doc: str) -> onnx.ModelProto:
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="hotswap-examples", producer_version="1")
    m.ir_version = IR_VERSION
    m.doc_string = doc
    onnx.checker.check_model(m, full_check=True)
    return m


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _images(rng: np.random.Generator, n: int, h: int, w: int):
    y = rng.integers(3, size=n)
    x = rng.uniform(0.0, 0.8, size=(n, 3, h, w)).astype(np.float32)
    for i in range(n):  # a bright patch of the dominant colour
        ph, pw = int(rng.integers(h // 3, h)), int(rng.integers(w // 3, w))
        top, left = int(rng.integers(h - ph + 1)), int(rng.integers(w - pw + 1))
        x[i, y[i], top:top + ph, left:left + pw] += 0.35
    return np.clip(x, 0, 1), y.astype(np.int64)


def colour_image() -> tuple[onnx.ModelProto, dict, float]:
    rng = np.random.default_rng(IMAGE_SEED)
    x, y = _images(rng, 1200, 16, 16)
    xv, yv = _images(rng, 300, 16, 16)
    feats = x.mean(axis=(2, 3))
    w = np.zeros((3, 3), np.float64)
    b = np.zeros(3, np.float64)
    onehot = np.eye(3)[y]
    for _ in range(800):  # softmax regression, full-batch gradient descent
        p = _softmax(feats @ w + b)
        w -= 2.0 * feats.T @ (p - onehot) / len(y)
        b -= 2.0 * (p - onehot).mean(axis=0)
    nodes = [
        helper.make_node("GlobalAveragePool", ["image"], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["means"], axis=1),
        helper.make_node("Gemm", ["means", "W", "B"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
        helper.make_node("ArgMax", ["logits"], ["label"], axis=1, keepdims=0),
    ]
    graph = helper.make_graph(
        nodes, "colour_image",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 3, "height", "width"])],
        [helper.make_tensor_value_info("label", TensorProto.INT64, ["batch"]),
         helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 3])],
        [numpy_helper.from_array(w.astype(np.float32), "W"), numpy_helper.from_array(b.astype(np.float32), "B")],
    )
    model = _model(graph, "colour-image 1.0.0: dominant colour of an RGB image (softmax regression on channel means)")
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    accuracy = float((sess.run(["label"], {"image": xv})[0] == yv).mean())
    sample = xv[:SAMPLE_ROWS, :, :4, :4]  # any height and width: the samples are 4x4
    label, probs = sess.run(["label", "probabilities"], {"image": sample})
    samples = {
        "request": {"inputs": [{"name": "image", "datatype": "FP32", "shape": list(sample.shape),
                                "data": [float(v) for v in sample.astype(np.float32).ravel()]}]},
        "outputs": {"label": [int(v) for v in label], "probabilities": [[float(p) for p in row] for row in probs]},
        "classes": IMAGE_CLASSES,
    }
    return model, samples, accuracy


def tokenize(text: str, vocab: dict[str, int], length: int) -> tuple[list[int], list[int]]:
    ids = [vocab.get(t, UNK) for t in TOKEN.findall(text.lower())][:length]
    mask = [1] * len(ids) + [0] * (length - len(ids))
    return ids + [PAD] * (length - len(ids)), mask


def token_sentiment(data: dict) -> tuple[onnx.ModelProto, dict, float, dict]:
    train, y = data["X_train"], np.asarray(data["y_train"])
    words = sorted({t for s in train for t in TOKEN.findall(s.lower())})
    vocab = {"[PAD]": PAD, "[UNK]": UNK, **{w: i + 2 for i, w in enumerate(words)}}
    counts = np.ones((len(vocab), 2))  # Laplace smoothing
    for s, label in zip(train, y):
        for t in TOKEN.findall(s.lower()):
            counts[vocab[t], label] += 1
    emb = np.log(counts / counts.sum(axis=0, keepdims=True))
    emb[PAD] = 0.0
    emb[UNK] = 0.0
    prior = np.log(np.bincount(y, minlength=2) / len(y))
    nodes = [
        helper.make_node("Gather", ["embedding", "input_ids"], ["tokens"]),
        helper.make_node("Cast", ["attention_mask"], ["mask"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["mask", "axis2"], ["mask3"]),
        helper.make_node("Mul", ["tokens", "mask3"], ["masked"]),
        helper.make_node("ReduceSum", ["masked", "axis1"], ["summed"], keepdims=0),
        helper.make_node("ReduceSum", ["mask", "axis1"], ["count"], keepdims=1),
        helper.make_node("Max", ["count", "one"], ["denominator"]),
        helper.make_node("Div", ["summed", "denominator"], ["mean"]),
        helper.make_node("Add", ["mean", "prior"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
        helper.make_node("ArgMax", ["logits"], ["label"], axis=1, keepdims=0),
    ]
    graph = helper.make_graph(
        nodes, "token_sentiment",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"])],
        [helper.make_tensor_value_info("label", TensorProto.INT64, ["batch"]),
         helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 2])],
        [numpy_helper.from_array(emb.astype(np.float32), "embedding"),
         numpy_helper.from_array(np.array([2], np.int64), "axis2"),
         numpy_helper.from_array(np.array([1], np.int64), "axis1"),
         numpy_helper.from_array(np.array(1.0, np.float32), "one"),
         numpy_helper.from_array(prior.astype(np.float32), "prior")],
    )
    model = _model(graph, "token-sentiment 1.0.0: naive-Bayes token weights, mean-pooled over the attention mask")
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    length = 16

    def feeds(texts):
        pairs = [tokenize(t, vocab, length) for t in texts]
        return np.array([p[0] for p in pairs], np.int64), np.array([p[1] for p in pairs], np.int64)

    ids, mask = feeds(data["X_val"])
    accuracy = float((sess.run(["label"], {"input_ids": ids, "attention_mask": mask})[0] == np.asarray(data["y_val"])).mean())
    texts = [r["text"] for r in data["samples"][0][:SAMPLE_ROWS]]
    ids, mask = feeds(texts)
    label, probs = sess.run(["label", "probabilities"], {"input_ids": ids, "attention_mask": mask})
    samples = {
        "texts": texts,
        "request": {"inputs": [
            {"name": "input_ids", "datatype": "INT64", "shape": list(ids.shape), "data": [int(v) for v in ids.ravel()]},
            {"name": "attention_mask", "datatype": "INT64", "shape": list(mask.shape), "data": [int(v) for v in mask.ravel()]},
        ]},
        "outputs": {"label": [int(v) for v in label], "probabilities": [[float(p) for p in row] for row in probs]},
        "classes": TEXT_CLASSES,
    }
    return model, samples, accuracy, vocab


def _metadata(name: str, description: str, tags: list[str]) -> dict:
    return {
        "name": name,
        "description": description,
        "framework": "ONNX",
        "type": "Classification",
        "owner": "ml-team@example.com",
        "tags": tags,
        "version": "1.0.0",
    }


def build_oip_examples(models_dir: Path, sentiment: dict) -> list[str]:
    """Writes both models; returns one summary line each."""
    lines = []
    model, samples, acc = colour_image()
    d = models_dir / "colour-image" / "1.0.0"
    d.mkdir(parents=True, exist_ok=True)
    onnx.save(model, d / "model.onnx")
    _write_json(d / "metadata.json", _metadata("colour-image", "Dominant colour (red, green, blue) of an RGB image of any size; OIP v2 only.",
                                                ["vision", "image", "oip"]))
    _write_json(d / "oip-samples.json", {**samples, "validationAccuracy": round(acc, 6)})
    lines.append(f"  colour-image 1.0.0: accuracy {acc:.3f}")
    model, samples, acc, vocab = token_sentiment(sentiment)
    d = models_dir / "token-sentiment" / "1.0.0"
    d.mkdir(parents=True, exist_ok=True)
    onnx.save(model, d / "model.onnx")
    _write_json(d / "metadata.json", _metadata("token-sentiment", "Sentiment of token ids (input_ids + attention_mask, vocab.json); OIP v2 only.",
                                                ["nlp", "text", "tokens", "oip"]))
    _write_json(d / "oip-samples.json", {**samples, "validationAccuracy": round(acc, 6)})
    _write_json(d / "vocab.json", {"lowercase": True, "token_pattern": TOKEN.pattern, "pad": PAD, "unk": UNK, "vocab": vocab})
    lines.append(f"  token-sentiment 1.0.0: accuracy {acc:.3f}")
    return lines
