#!/usr/bin/env python3
"""Train the HotSwap example models and write them under examples/models/.

Run through `bash scripts/train-examples.sh`, which creates the pinned virtualenv in
.tools/py-examples and calls this script. Everything is seeded: re-running it yields
byte-identical samples.json files and identical accuracy/precision/recall/F1 numbers.
Only the latency figures (and the node-latency.json file) change between runs.

Layout written for every model version:

    examples/models/<name>/<version>/model.onnx      the ONNX graph
    examples/models/<name>/<version>/metadata.json   HotSwap registration body
    examples/models/<name>/<version>/samples.json    held-out labelled sample set
    examples/models/<name>/<version>/baseline.json   metrics measured with onnxruntime

plus examples/reference-predictions.json (first 20 sample rows of every version with the
encoded input tensor and the python-onnxruntime outputs) and, when node and
node_modules/onnxruntime-node are available, examples/node-latency.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType, StringTensorType
from sklearn.datasets import load_digits
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    log_loss,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from oip_examples import build_oip_examples

EXAMPLES_DIR = Path(__file__).resolve().parent
REPO_ROOT = EXAMPLES_DIR.parent
MODELS_DIR = EXAMPLES_DIR / "models"

# Upper bounds (skl2onnx picks the lowest opsets each graph needs: 16-17 / ml 1 today).
# onnxruntime-node 1.30 runs these comfortably; kept conservative so older runtimes
# (and other tools) load the files too.
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}
MAX_IR_VERSION = 8

OWNER = "ml-team@example.com"
REFERENCE_ROWS = 20
PY_LATENCY_WARMUP = 50
PY_LATENCY_RUNS = 300
NODE_LATENCY_WARMUP = 50
NODE_LATENCY_RUNS = 500
SLOW_MIN_RATIO = 5.0
DEGRADED_MIN_GAP = 0.15

# Side computation added to fraud-detection 4.0.0-slow: SLOW_STEPS chained [K,K]x[K,K]
# MatMul+Tanh on a matrix that depends on the input (so it cannot be constant-folded).
SLOW_K = 128
SLOW_STEPS = 16


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------

def write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        json.dump(obj, fh, indent=2, ensure_ascii=False, allow_nan=False)
        fh.write("\n")


def f32(x) -> float:
    """A float32 value as the (exact) JSON double that JS gets from a Float32Array."""
    return float(np.float32(x))


def r6(x) -> float:
    return round(float(x), 6)


def classification_metrics(y_true, y_pred, binary: bool) -> dict:
    avg = "binary" if binary else "macro"
    return {
        "accuracy": r6(accuracy_score(y_true, y_pred)),
        "precision": r6(precision_score(y_true, y_pred, average=avg, zero_division=0)),
        "recall": r6(recall_score(y_true, y_pred, average=avg, zero_division=0)),
        "f1Score": r6(f1_score(y_true, y_pred, average=avg, zero_division=0)),
    }


def validation_metrics(model, X_val, y_val, binary: bool) -> dict:
    """Training-time metrics: the sklearn model on the validation split."""
    pred = model.predict(X_val)
    proba = model.predict_proba(X_val)
    out = classification_metrics(y_val, pred, binary)
    out["logLoss"] = r6(log_loss(y_val, proba, labels=model.classes_))
    if binary:
        out["rocAuc"] = r6(roc_auc_score(y_val, proba[:, 1]))
    return out


def convert(model, input_name: str, input_type, n_features: int | None) -> onnx.ModelProto:
    shape = [None, n_features] if n_features is not None else [None, 1]
    onx = convert_sklearn(
        model,
        initial_types=[(input_name, input_type(shape))],
        target_opset=TARGET_OPSET,
        options={id(model): {"zipmap": False}},
    )
    return onx


def finalize(onx: onnx.ModelProto, doc: str) -> onnx.ModelProto:
    # StringNormalizer defaults to the en_US.UTF-8 locale, which many machines (and
    # containers) lack: onnxruntime then refuses to load the model. "C" exists everywhere;
    # it lower-cases ASCII only, which is all the example corpus uses.
    for node in onx.graph.node:
        if node.op_type == "StringNormalizer":
            for attr in list(node.attribute):
                if attr.name == "locale":
                    node.attribute.remove(attr)
            node.attribute.append(helper.make_attribute("locale", "C"))
    if onx.ir_version > MAX_IR_VERSION:
        onx.ir_version = MAX_IR_VERSION
    onx.producer_name = "hotswap-examples"
    onx.producer_version = "1"
    onx.doc_string = doc
    onx.graph.name = re.sub(r"[^A-Za-z0-9]+", "_", doc.split(":")[0])  # skl2onnx uses a random uuid
    onnx.checker.check_model(onx, full_check=True)
    outs = [o.name for o in onx.graph.output]
    assert outs == ["label", "probabilities"], outs
    return onx


def session(path: Path) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


def py_latency_ms(sess: ort.InferenceSession, feeds_for_row) -> float:
    """Mean single-row latency (ms) in python onnxruntime, after warm-up."""
    for i in range(PY_LATENCY_WARMUP):
        sess.run(None, feeds_for_row(i))
    times = []
    for i in range(PY_LATENCY_RUNS):
        feeds = feeds_for_row(i)
        t0 = time.perf_counter_ns()
        sess.run(None, feeds)
        times.append(time.perf_counter_ns() - t0)
    return round(statistics.fmean(times) / 1e6, 4)


# --------------------------------------------------------------------------------------
# feature-schema encoding (mirrors the model server's "dense" / "string" rules)
# --------------------------------------------------------------------------------------

def encode_dense(instances: list[dict], input_schema: dict) -> np.ndarray:
    props = input_schema["properties"]
    order = input_schema["x-hotswap-tensor"]["order"]
    rows = []
    for inst in instances:
        row: list[float] = []
        for name in order:
            spec = props[name]
            value = inst.get(name, spec.get("default"))
            t = spec["type"]
            if t in ("number", "integer"):
                row.append(float(value))
            elif t == "boolean":
                row.append(1.0 if value else 0.0)
            elif t == "string" and "enum" in spec:
                row.extend(1.0 if value == v else 0.0 for v in spec["enum"])
            elif t == "array":
                row.extend(float(v) for v in value)
            else:
                raise ValueError(f"cannot densely encode property {name}: {spec}")
        rows.append(row)
    return np.asarray(rows, dtype=np.float32)


def encode_string(instances: list[dict], input_schema: dict) -> np.ndarray:
    (name,) = input_schema["x-hotswap-tensor"]["order"]
    return np.asarray([[inst[name]] for inst in instances], dtype=object)


def encode(instances, input_schema) -> np.ndarray:
    enc = input_schema["x-hotswap-tensor"]["encoding"]
    return encode_dense(instances, input_schema) if enc == "dense" else encode_string(instances, input_schema)


def output_schema(classes: list[str]) -> dict:
    return {
        "type": "object",
        "properties": {
            "label": {"type": "string", "enum": classes, "description": "predicted class name"},
            "probabilities": {
                "type": "array",
                "items": {"type": "number", "minimum": 0, "maximum": 1},
                "minItems": len(classes),
                "maxItems": len(classes),
                "description": "class probabilities in x-hotswap-outputs.classes order",
            },
            "confidence": {"type": "number", "minimum": 0, "maximum": 1,
                           "description": "probability of the predicted class"},
        },
        "required": ["label", "probabilities", "confidence"],
        "x-hotswap-outputs": {
            "task": "classification",
            "labelOutput": "label",
            "probabilitiesOutput": "probabilities",
            "classes": classes,
        },
    }


# --------------------------------------------------------------------------------------
# fraud-detection: synthetic card transactions
# --------------------------------------------------------------------------------------

FRAUD_CATEGORIES = ["retail", "electronics", "travel", "grocery", "online"]
FRAUD_CLASSES = ["legit", "fraud"]
FRAUD_DATASET = "synthetic-card-transactions"
FRAUD_DATASET_VERSION = "2025.01-seed20250115"
FRAUD_SEED = 20250115
FRAUD_N_SAMPLES, FRAUD_N_VAL, FRAUD_N_TRAIN = 500, 2000, 10000

FRAUD_INPUT_SCHEMA = {
    "type": "object",
    "properties": {
        "transaction_amount": {"type": "number", "minimum": 0,
                               "description": "amount in USD"},
        "merchant_category": {"type": "string", "enum": FRAUD_CATEGORIES,
                              "description": "merchant category code group"},
        "user_age_days": {"type": "integer", "minimum": 0,
                          "description": "days since the account was opened"},
        "transaction_hour": {"type": "integer", "minimum": 0, "maximum": 23,
                             "description": "local hour of the transaction"},
        "is_international": {"type": "boolean", "default": False,
                             "description": "card issued in another country than the merchant"},
    },
    "required": ["transaction_amount", "merchant_category", "user_age_days", "transaction_hour"],
    "additionalProperties": False,
    "x-hotswap-tensor": {
        "name": "float_input",
        "encoding": "dense",
        "order": ["transaction_amount", "merchant_category", "user_age_days",
                  "transaction_hour", "is_international"],
    },
}
FRAUD_D = 1 + len(FRAUD_CATEGORIES) + 1 + 1 + 1  # 9


def generate_fraud(rng: np.random.Generator, n: int):
    """Transactions with a learnable, partly non-linear fraud signal (~20% fraud).

    Fraud odds grow with the amount relative to the category's typical ticket (log
    scale, plus a jump above 3x), for accounts younger than 30/180 days, at night
    (23:00-04:59), for international cards outside travel merchants, and by category.
    A linear model on the raw features captures part of it; trees capture more.
    """
    cat = rng.choice(len(FRAUD_CATEGORIES), size=n, p=[0.30, 0.15, 0.10, 0.25, 0.20])
    typical = np.array([60.0, 250.0, 400.0, 35.0, 80.0])[cat]
    amount = np.round(typical * np.exp(rng.normal(0.0, 0.9, n)), 2)
    age = np.minimum(rng.gamma(1.3, 500.0, n), 3650).astype(np.int64)
    hour_w = np.array([1, 0.6, 0.4, 0.3, 0.3, 0.5, 1, 2, 3, 4, 4.5, 5,
                       5.5, 5, 4.5, 4.5, 4.5, 5, 5, 4.5, 4, 3, 2, 1.5])
    hour = rng.choice(24, size=n, p=hour_w / hour_w.sum())
    intl = rng.random(n) < np.where(cat == 2, 0.35, 0.06)
    rel = amount / typical
    night = (hour <= 4) | (hour >= 23)
    cat_w = np.array([0.0, 1.5, 0.8, -1.5, 1.2])[cat]
    z = (-3.6 + 2.0 * np.log(np.maximum(rel, 1e-3)) + 2.5 * (rel > 3)
         + 3.0 * (age < 30) + 1.5 * (age < 180) + 2.8 * night
         + 2.8 * (intl & (cat != 2)) + cat_w)
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-z))).astype(np.int64)

    instances = []
    for i in range(n):
        inst = {
            "transaction_amount": float(amount[i]),
            "merchant_category": FRAUD_CATEGORIES[cat[i]],
            "user_age_days": int(age[i]),
            "transaction_hour": int(hour[i]),
        }
        # is_international is optional (default false): every 4th non-international row
        # omits it so consumers exercise the default.
        if intl[i] or i % 4 != 3:
            inst["is_international"] = bool(intl[i])
        instances.append(inst)
    return instances, y


def fraud_data():
    rng = np.random.default_rng(FRAUD_SEED)
    instances, y = generate_fraud(rng, FRAUD_N_SAMPLES + FRAUD_N_VAL + FRAUD_N_TRAIN)
    X = encode_dense(instances, FRAUD_INPUT_SCHEMA)
    s, v = FRAUD_N_SAMPLES, FRAUD_N_SAMPLES + FRAUD_N_VAL
    return {
        "samples": (instances[:s], y[:s]),
        "X_val": X[s:v], "y_val": y[s:v],
        "X_train": X[v:], "y_train": y[v:],
    }


# --------------------------------------------------------------------------------------
# digits
# --------------------------------------------------------------------------------------

DIGITS_CLASSES = [str(d) for d in range(10)]
DIGITS_SEED = 20250301
DIGITS_N_SAMPLES, DIGITS_N_VAL = 300, 300
DIGITS_INPUT_SCHEMA = {
    "type": "object",
    "properties": {
        "pixels": {
            "type": "array",
            "items": {"type": "number", "minimum": 0, "maximum": 16},
            "minItems": 64,
            "maxItems": 64,
            "description": "8x8 grey-level image, row-major, values 0..16",
        },
    },
    "required": ["pixels"],
    "additionalProperties": False,
    "x-hotswap-tensor": {"name": "float_input", "encoding": "dense", "order": ["pixels"]},
}


# --------------------------------------------------------------------------------------
# sentiment: deterministic template corpus
# --------------------------------------------------------------------------------------

SENTIMENT_CLASSES = ["negative", "positive"]
SENTIMENT_SEED = 20250401
SENTIMENT_N_SAMPLES, SENTIMENT_N_VAL, SENTIMENT_N_TRAIN = 200, 300, 1500
SENTIMENT_INPUT_SCHEMA = {
    "type": "object",
    "properties": {
        "text": {"type": "string", "minLength": 1, "maxLength": 5000,
                 "description": "an English review sentence"},
    },
    "required": ["text"],
    "additionalProperties": False,
    "x-hotswap-tensor": {"name": "text", "encoding": "string", "order": ["text"]},
}

_POS = ["great", "excellent", "wonderful", "fantastic", "amazing", "good", "lovely",
        "helpful", "fast", "reliable", "perfect", "pleasant", "impressive", "friendly",
        "superb", "solid", "brilliant", "smooth"]
_NEG = ["terrible", "awful", "horrible", "bad", "poor", "slow", "broken", "rude",
        "disappointing", "useless", "buggy", "late", "boring", "unreliable", "dreadful",
        "noisy", "confusing", "overpriced"]
_SUBJECTS = ["product", "service", "delivery", "staff", "app", "food", "support team",
             "packaging", "price", "experience", "battery", "screen", "hotel room",
             "movie", "update", "checkout", "manual", "installation"]
_INTENS = ["", "", "really ", "very ", "absolutely ", "quite ", "pretty ", "so "]
_POS_VERBS = ["love", "like", "enjoy", "recommend", "appreciate"]
_NEG_VERBS = ["hate", "dislike", "regret buying", "cannot stand", "returned"]
_FILLERS = ["", "", "", " overall", " to be honest", " this time", " as expected",
            " for the money", " again"]
_ENDINGS = ["", ".", "!", " .", "!!"]


def _sentiment_sentence(rng: np.random.Generator) -> tuple[str, int]:
    def pick(xs):
        return xs[int(rng.integers(len(xs)))]

    label = int(rng.integers(2))
    adj = pick(_POS) if label else pick(_NEG)
    other = pick(_NEG) if label else pick(_POS)
    subj, subj2 = pick(_SUBJECTS), pick(_SUBJECTS)
    kind = int(rng.integers(7))
    if kind == 0:
        text = f"the {subj} was {pick(_INTENS)}{adj}{pick(_FILLERS)}"
    elif kind == 1:
        verb = pick(_POS_VERBS) if label else pick(_NEG_VERBS)
        text = f"i {verb} this {subj}{pick(_FILLERS)}"
    elif kind == 2:  # negation: "not <opposite>" carries the label
        text = f"the {subj} was not {pick(_INTENS)}{other}{pick(_FILLERS)}"
    elif kind == 3:  # contrast: the clause after "but" carries the label
        text = f"the {subj} was {other} but the {subj2} was {pick(_INTENS)}{adj}"
    elif kind == 4:
        text = f"{pick(_INTENS)}{adj} {subj}{pick(_FILLERS)}"
    elif kind == 5:
        text = f"what a {adj} {subj}, {'would buy again' if label else 'never again'}"
    else:  # two cues of the same polarity
        adj2 = pick(_POS) if label else pick(_NEG)
        text = f"{subj} is {adj} and the {subj2} is {adj2}{pick(_FILLERS)}"
    text = text + pick(_ENDINGS)
    if int(rng.integers(4)) == 0:
        text = text[0].upper() + text[1:]
    return text, label


def sentiment_data():
    rng = np.random.default_rng(SENTIMENT_SEED)
    texts, labels, seen = [], [], set()
    total = SENTIMENT_N_SAMPLES + SENTIMENT_N_VAL + SENTIMENT_N_TRAIN
    while len(texts) < total:
        t, l = _sentiment_sentence(rng)
        if t.lower() in seen:  # keep held-out rows unseen in training
            continue
        seen.add(t.lower())
        texts.append(t)
        labels.append(l)
    y = np.asarray(labels, dtype=np.int64)
    s, v = SENTIMENT_N_SAMPLES, SENTIMENT_N_SAMPLES + SENTIMENT_N_VAL
    return {
        "samples": ([{"text": t} for t in texts[:s]], y[:s]),
        "X_val": texts[s:v], "y_val": y[s:v],
        "X_train": texts[v:], "y_train": y[v:],
    }


# --------------------------------------------------------------------------------------
# 4.0.0-slow: graph surgery on the 1.0.0 graph
# --------------------------------------------------------------------------------------

def make_slow(base: onnx.ModelProto) -> onnx.ModelProto:
    """Same predictions as `base`, plus an expensive side computation.

    W = Tanh(Reshape(Sin(0.37 * Range(0, K*K)), [K, K])) is built from scalars at load
    time (file stays small). A0 = W + 0 * Tanh(ReduceSum(float_input)) depends on the
    input, so onnxruntime cannot constant-fold the chain A_{i+1} = Tanh(A_i @ W)
    (SLOW_STEPS MatMuls of [K,K]x[K,K]). Its mean (finite: Tanh-bounded) times 0 is added
    to the probabilities; labels come from the untouched classifier node.
    """
    m = onnx.ModelProto()
    m.CopyFrom(base)
    g = m.graph
    producer = [n for n in g.node if "probabilities" in n.output]
    assert len(producer) == 1
    producer[0].output[list(producer[0].output).index("probabilities")] = "probabilities_raw"
    K = SLOW_K
    inits = [
        numpy_helper.from_array(np.array(0, dtype=np.int64), "slow_range_start"),
        numpy_helper.from_array(np.array(K * K, dtype=np.int64), "slow_range_limit"),
        numpy_helper.from_array(np.array(1, dtype=np.int64), "slow_range_delta"),
        numpy_helper.from_array(np.array(0.37, dtype=np.float32), "slow_freq"),
        numpy_helper.from_array(np.array([K, K], dtype=np.int64), "slow_shape"),
        numpy_helper.from_array(np.array(0.0, dtype=np.float32), "slow_zero"),
    ]
    g.initializer.extend(inits)
    nodes = [
        helper.make_node("Range", ["slow_range_start", "slow_range_limit", "slow_range_delta"], ["slow_idx"]),
        helper.make_node("Cast", ["slow_idx"], ["slow_idx_f"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["slow_idx_f", "slow_freq"], ["slow_phase"]),
        helper.make_node("Sin", ["slow_phase"], ["slow_sin"]),
        helper.make_node("Reshape", ["slow_sin", "slow_shape"], ["slow_w_raw"]),
        helper.make_node("Tanh", ["slow_w_raw"], ["slow_w"]),
        helper.make_node("ReduceSum", ["float_input"], ["slow_in_sum"], keepdims=1),
        helper.make_node("Tanh", ["slow_in_sum"], ["slow_in_tanh"]),
        helper.make_node("Mul", ["slow_in_tanh", "slow_zero"], ["slow_in_zero"]),
        helper.make_node("Add", ["slow_w", "slow_in_zero"], ["slow_a0"]),
    ]
    prev = "slow_a0"
    for i in range(SLOW_STEPS):
        nodes.append(helper.make_node("MatMul", [prev, "slow_w"], [f"slow_mm{i}"]))
        nodes.append(helper.make_node("Tanh", [f"slow_mm{i}"], [f"slow_a{i + 1}"]))
        prev = f"slow_a{i + 1}"
    nodes += [
        helper.make_node("ReduceMean", [prev], ["slow_mean"], keepdims=1),
        helper.make_node("Mul", ["slow_mean", "slow_zero"], ["slow_side_zero"]),
        helper.make_node("Add", ["probabilities_raw", "slow_side_zero"], ["probabilities"]),
    ]
    g.node.extend(nodes)
    return m


# --------------------------------------------------------------------------------------
# writing a model version
# --------------------------------------------------------------------------------------

class Version:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def sample_feeds(input_schema: dict, instances: list[dict]):
    tensor = encode(instances, input_schema)
    name = input_schema["x-hotswap-tensor"]["name"]
    return name, tensor


def write_version(v: Version, reference: dict, summary: list) -> None:
    out_dir = MODELS_DIR / v.name / v.version
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    model_path = out_dir / "model.onnx"
    onnx.save_model(v.onnx_model, str(model_path))

    instances, y = v.samples
    classes = v.classes
    input_name, X = sample_feeds(v.input_schema, instances)
    sess = session(model_path)
    assert [i.name for i in sess.get_inputs()] == [input_name]
    label, proba = sess.run(["label", "probabilities"], {input_name: X})
    label = np.asarray(label)
    proba = np.asarray(proba)
    assert label.dtype == np.int64 and label.shape == (len(instances),), (label.dtype, label.shape)
    assert proba.dtype == np.float32 and proba.shape == (len(instances), len(classes)), proba.shape
    if v.sklearn_model is not None:
        # the ONNX graph must agree with the sklearn estimator it came from
        sk_input = X if X.dtype != object else [r[0] for r in X]
        agree = float(np.mean(v.sklearn_model.predict(sk_input) == label))
        assert agree >= 0.995, f"{v.name} {v.version}: onnx/sklearn agreement {agree}"
    binary = len(classes) == 2
    metrics = classification_metrics(y, label, binary)

    def feeds_for_row(i):
        j = i % len(instances)
        return {input_name: X[j:j + 1]}

    latency = py_latency_ms(sess, feeds_for_row)
    size = model_path.stat().st_size
    baseline = {**metrics, "inferenceLatencyMs": latency, "memoryUsageBytes": size}

    samples_obj = {"instances": instances, "labels": [classes[int(c)] for c in y]}
    write_json(out_dir / "samples.json", samples_obj)
    write_json(out_dir / "baseline.json", baseline)

    metadata = {
        "name": v.name,
        "description": v.description,
        "framework": v.framework,
        "type": "Classification",
        "owner": OWNER,
        "tags": v.tags,
        "version": v.version,
        "inputSchema": v.input_schema,
        "outputSchema": output_schema(classes),
        "trainingMetadata": {
            "datasetName": v.dataset_name,
            "datasetVersion": v.dataset_version,
            "trainingSamples": v.training_samples,
            "validationSamples": v.validation_samples,
            "hyperparameters": v.hyperparameters,
            "trainingMetrics": v.training_metrics,
            "trainedAt": v.trained_at,
            "trainingJob": v.training_job,
        },
        "baseline": baseline,
        "lineage": {
            "parentVersion": v.parent_version,
            "datasetName": v.dataset_name,
            "datasetVersion": v.dataset_version,
            "trainingRun": v.training_job,
            "codeCommit": None,
        },
        "modelCard": v.model_card,
    }
    write_json(out_dir / "metadata.json", metadata)

    rows = []
    for i in range(min(REFERENCE_ROWS, len(instances))):
        row = {
            "index": i,
            "instance": instances[i],
            "tensor": ([f32(x) for x in X[i]] if X.dtype != object else [str(X[i][0])]),
            "label": int(label[i]),
            "className": classes[int(label[i])],
            "probabilities": [f32(p) for p in proba[i]],
            "expected": classes[int(y[i])],
        }
        rows.append(row)
    reference.setdefault(v.name, {})[v.version] = {
        "input": {"name": input_name, "encoding": v.input_schema["x-hotswap-tensor"]["encoding"],
                  "shape": [REFERENCE_ROWS, int(X.shape[1])]},
        "classes": classes,
        "rows": rows,
    }
    summary.append({
        "name": v.name, "version": v.version, "accuracy": metrics["accuracy"],
        "f1Score": metrics["f1Score"], "pyLatencyMs": latency, "sizeBytes": size,
        "samples": len(instances), "dir": out_dir, "input_name": input_name,
        "first_row": rows[0]["tensor"], "encoding": v.input_schema["x-hotswap-tensor"]["encoding"],
    })
    print(f"  {v.name} {v.version}: accuracy={metrics['accuracy']:.4f} f1={metrics['f1Score']:.4f} "
          f"py-latency={latency:.4f} ms size={size} B", flush=True)


# --------------------------------------------------------------------------------------
# model definitions
# --------------------------------------------------------------------------------------

FRAUD_CARD_BASE = {
    "intendedUse": "Demonstration model for HotSwap: scores card transactions as legit or fraud. "
                   "Trained on synthetic data only; for exercising deployment, canary and rollback flows.",
    "limitations": "Synthetic data generated by examples/train.py; the fraud signal is invented. "
                   "Not calibrated for any real portfolio. Amounts are in USD and hours are local time.",
    "ethicalConsiderations": "Do not use to block real payments. Real fraud models need bias review "
                             "(e.g. new-account and international-card customers are scored higher here by design).",
}


def build_fraud(versions: list[Version]) -> None:
    d = fraud_data()
    Xt, yt, Xv, yv = d["X_train"], d["y_train"], d["X_val"], d["y_val"]
    common = dict(
        name="fraud-detection", framework="ScikitLearn", input_schema=FRAUD_INPUT_SCHEMA,
        classes=FRAUD_CLASSES, samples=d["samples"], dataset_name=FRAUD_DATASET,
        dataset_version=FRAUD_DATASET_VERSION, training_samples=len(yt),
        validation_samples=len(yv),
    )
    ftype = FloatTensorType

    # 1.0.0 logistic regression
    lr_params = {"C": 1.0, "max_iter": 1000, "solver": "lbfgs"}
    lr = Pipeline([("scaler", StandardScaler()), ("clf", LogisticRegression(**lr_params))]).fit(Xt, yt)
    lr_onnx = finalize(convert(lr, "float_input", ftype, FRAUD_D),
                       "fraud-detection 1.0.0: StandardScaler + LogisticRegression")
    versions.append(Version(
        **common, version="1.0.0", onnx_model=lr_onnx, sklearn_model=lr,
        description="Logistic regression (standardised features) scoring card transactions as legit/fraud.",
        tags=["fraud", "tabular", "logistic-regression", "baseline"],
        hyperparameters={"model": "LogisticRegression", "scaler": "StandardScaler", **lr_params},
        training_metrics=validation_metrics(lr, Xv, yv, True),
        trained_at="2025-01-15T10:00:00.000Z", training_job="train-fraud-lr-2025-01-15",
        parent_version=None, model_card=FRAUD_CARD_BASE,
    ))

    # 2.0.0 gradient boosting
    gb_params = {"n_estimators": 200, "max_depth": 3, "learning_rate": 0.1, "subsample": 1.0,
                 "random_state": 7}
    gb = GradientBoostingClassifier(**gb_params).fit(Xt, yt)
    gb_onnx = finalize(convert(gb, "float_input", ftype, FRAUD_D),
                       "fraud-detection 2.0.0: GradientBoostingClassifier")
    versions.append(Version(
        **common, version="2.0.0", onnx_model=gb_onnx, sklearn_model=gb,
        description="Gradient-boosted trees; captures the non-linear amount, hour and "
                    "international-card effects the logistic regression misses.",
        tags=["fraud", "tabular", "gradient-boosting", "candidate"],
        hyperparameters={"model": "GradientBoostingClassifier", **gb_params},
        training_metrics=validation_metrics(gb, Xv, yv, True),
        trained_at="2025-02-10T09:30:00.000Z", training_job="train-fraud-gbt-2025-02-10",
        parent_version="1.0.0", model_card=FRAUD_CARD_BASE,
    ))

    # 3.0.0-degraded: same recipe as 1.0.0 but the label column was joined on the wrong
    # key (a fixed permutation of the labels) and classes re-weighted to "fix" the recall.
    rng = np.random.default_rng(FRAUD_SEED + 3)
    y_bad = yt[rng.permutation(len(yt))]
    deg_params = {**lr_params, "class_weight": "balanced"}
    deg = Pipeline([("scaler", StandardScaler()), ("clf", LogisticRegression(**deg_params))]).fit(Xt, y_bad)
    deg_onnx = finalize(convert(deg, "float_input", ftype, FRAUD_D),
                        "fraud-detection 3.0.0-degraded: LogisticRegression trained on permuted labels")
    versions.append(Version(
        **common, version="3.0.0-degraded", onnx_model=deg_onnx, sklearn_model=deg,
        description="Deliberately degraded: logistic regression trained after a bad label join "
                    "(labels permuted) with balanced class weights. For rollback and canary-failure demos.",
        tags=["fraud", "tabular", "logistic-regression", "degraded", "demo-failure"],
        hyperparameters={"model": "LogisticRegression", "scaler": "StandardScaler", **deg_params,
                         "labelCorruption": "permuted"},
        training_metrics=validation_metrics(deg, Xv, yv, True),
        trained_at="2025-03-05T14:00:00.000Z", training_job="train-fraud-lr-2025-03-05",
        parent_version="2.0.0",
        model_card={**FRAUD_CARD_BASE,
                    "limitations": "DELIBERATELY BROKEN: trained on permuted labels; accuracy is far "
                                   "below 1.0.0. Exists only to exercise automatic rollback."},
    ))

    # 4.0.0-slow: the 1.0.0 graph plus an expensive, unremovable side computation.
    slow_onnx = make_slow(lr_onnx)
    slow_onnx.doc_string = ("fraud-detection 4.0.0-slow: 1.0.0 graph plus a "
                            f"{SLOW_STEPS}x MatMul[{SLOW_K}x{SLOW_K}] side computation (multiplied by 0)")
    slow_onnx.graph.name = "fraud_detection_4_0_0_slow"
    onnx.checker.check_model(slow_onnx, full_check=True)
    versions.append(Version(
        **{**common, "framework": "ONNX"}, version="4.0.0-slow", onnx_model=slow_onnx,
        sklearn_model=lr,
        description="Deliberately slow: identical predictions to 1.0.0, but the graph carries an "
                    "expensive side computation that inflates single-row latency. For latency-gate demos.",
        tags=["fraud", "tabular", "logistic-regression", "slow", "demo-failure"],
        hyperparameters={"model": "LogisticRegression", "scaler": "StandardScaler", **lr_params,
                         "sideComputation": {"matmulSteps": SLOW_STEPS, "matrixSize": SLOW_K}},
        training_metrics=validation_metrics(lr, Xv, yv, True),
        trained_at="2025-03-20T11:15:00.000Z", training_job="train-fraud-lr-2025-01-15",
        parent_version="1.0.0",
        model_card={**FRAUD_CARD_BASE,
                    "limitations": "DELIBERATELY SLOW: same predictions as 1.0.0 at several times the "
                                   "latency. Exists only to exercise latency gates and rollback."},
    ))


def build_digits(versions: list[Version]) -> None:
    ds = load_digits()
    X = ds.data.astype(np.float32)
    y = ds.target.astype(np.int64)
    perm = np.random.default_rng(DIGITS_SEED).permutation(len(y))
    X, y = X[perm], y[perm]
    s, v = DIGITS_N_SAMPLES, DIGITS_N_SAMPLES + DIGITS_N_VAL
    instances = [{"pixels": [int(p) for p in row]} for row in X[:s]]
    Xv, yv, Xt, yt = X[s:v], y[s:v], X[v:], y[v:]
    params = {"hidden_layer_sizes": [64], "activation": "relu", "solver": "adam", "alpha": 1e-4,
              "max_iter": 400, "random_state": 11}
    mlp = Pipeline([("scaler", StandardScaler()),
                    ("clf", MLPClassifier(**{**params, "hidden_layer_sizes": (64,)}))]).fit(Xt, yt)
    onx = finalize(convert(mlp, "float_input", FloatTensorType, 64),
                   "digits 1.0.0: StandardScaler + MLPClassifier(64)")
    versions.append(Version(
        name="digits", version="1.0.0", framework="ScikitLearn", input_schema=DIGITS_INPUT_SCHEMA,
        classes=DIGITS_CLASSES, samples=(instances, y[:s]), onnx_model=onx, sklearn_model=mlp,
        description="Handwritten digit classifier (8x8 images, 10 classes): small MLP.",
        tags=["vision", "digits", "mlp", "multiclass"],
        dataset_name="sklearn-load_digits", dataset_version="uci-optdigits-1797",
        training_samples=len(yt), validation_samples=len(yv),
        hyperparameters={"model": "MLPClassifier", "scaler": "StandardScaler", **params},
        training_metrics=validation_metrics(mlp, Xv, yv, False),
        trained_at="2025-03-01T08:00:00.000Z", training_job="train-digits-mlp-2025-03-01",
        parent_version=None,
        model_card={
            "intendedUse": "Demonstration multiclass model with an array-valued feature for HotSwap.",
            "limitations": "Trained on 1,197 images of scikit-learn's bundled UCI digits; inputs must be "
                           "8x8 grey levels 0..16 in the same preprocessing as that data set.",
            "ethicalConsiderations": "None specific; public benchmark data without personal information.",
        },
    ))


def build_sentiment(versions: list[Version]) -> None:
    d = sentiment_data()
    params = {"ngram_range": [1, 2], "min_df": 2, "lowercase": True, "sublinear_tf": False,
              "C": 10.0, "max_iter": 1000}
    pipe = Pipeline([
        ("tfidf", TfidfVectorizer(ngram_range=(1, 2), min_df=2, lowercase=True)),
        ("clf", LogisticRegression(C=10.0, max_iter=1000)),
    ]).fit(d["X_train"], d["y_train"])
    onx = finalize(convert(pipe, "text", StringTensorType, None),
                   "sentiment 1.0.0: TfidfVectorizer(1,2-grams) + LogisticRegression")
    versions.append(Version(
        name="sentiment", version="1.0.0", framework="ScikitLearn",
        input_schema=SENTIMENT_INPUT_SCHEMA, classes=SENTIMENT_CLASSES, samples=d["samples"],
        onnx_model=onx, sklearn_model=pipe,
        description="Review sentiment (negative/positive): TF-IDF unigrams+bigrams and logistic "
                    "regression; takes the raw text as a string tensor.",
        tags=["nlp", "text", "sentiment", "tfidf", "logistic-regression"],
        dataset_name="synthetic-review-templates", dataset_version="2025.04-seed20250401",
        training_samples=len(d["y_train"]), validation_samples=len(d["y_val"]),
        hyperparameters={"model": "TfidfVectorizer+LogisticRegression", **params},
        training_metrics=validation_metrics(pipe, d["X_val"], d["y_val"], True),
        trained_at="2025-04-01T12:00:00.000Z", training_job="train-sentiment-tfidf-2025-04-01",
        parent_version=None,
        model_card={
            "intendedUse": "Demonstration text model (string tensor input) for HotSwap.",
            "limitations": "Trained on short template sentences from a few hundred English words; "
                           "lower-cases ASCII only (ONNX StringNormalizer with the C locale). Not a "
                           "general-purpose sentiment model.",
            "ethicalConsiderations": "Synthetic corpus; do not use for moderation or decisions about people.",
        },
    ))


# --------------------------------------------------------------------------------------
# node latency (onnxruntime-node), optional
# --------------------------------------------------------------------------------------

NODE_SCRIPT = r"""
const ort = require('onnxruntime-node');
const jobs = JSON.parse(process.argv[1]);
const WARMUP = Number(process.argv[2]), RUNS = Number(process.argv[3]);
(async () => {
  const out = [];
  for (const j of jobs) {
    const sess = await ort.InferenceSession.create(j.path);
    const t = j.encoding === 'string'
      ? new ort.Tensor('string', j.row, [1, 1])
      : new ort.Tensor('float32', Float32Array.from(j.row), [1, j.row.length]);
    const feeds = { [j.input]: t };
    for (let i = 0; i < WARMUP; i++) await sess.run(feeds);
    const ts = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = process.hrtime.bigint();
      await sess.run(feeds);
      ts.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    ts.sort((a, b) => a - b);
    const q = (p) => ts[Math.min(ts.length - 1, Math.floor(p * ts.length))];
    out.push({ name: j.name, version: j.version, medianMs: q(0.5), p95Ms: q(0.95) });
    await sess.release();
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
"""


def node_latency(summary: list) -> dict | None:
    node = shutil.which("node")
    if node is None or not (REPO_ROOT / "node_modules" / "onnxruntime-node").is_dir():
        print("  node or node_modules/onnxruntime-node missing: skipping node latency", flush=True)
        return None
    jobs = [{"name": s["name"], "version": s["version"], "path": str(s["dir"] / "model.onnx"),
             "input": s["input_name"], "encoding": s["encoding"], "row": s["first_row"]}
            for s in summary]
    res = subprocess.run([node, "-e", NODE_SCRIPT, json.dumps(jobs), str(NODE_LATENCY_WARMUP),
                          str(NODE_LATENCY_RUNS)], cwd=REPO_ROOT, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"node latency measurement failed:\n{res.stderr}")
    out = {}
    for r in json.loads(res.stdout):
        out.setdefault(r["name"], {})[r["version"]] = {
            "medianMs": round(r["medianMs"], 4), "p95Ms": round(r["p95Ms"], 4)}
    return out


# --------------------------------------------------------------------------------------
# README table
# --------------------------------------------------------------------------------------

def update_readme(summary: list, node_lat: dict | None) -> None:
    readme = EXAMPLES_DIR / "README.md"
    if not readme.exists():
        return
    lines = ["| model | version | samples | accuracy | F1 | python latency (mean, ms) | "
             "node latency (median, ms) | model.onnx size |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for s in summary:
        nl = node_lat.get(s["name"], {}).get(s["version"]) if node_lat else None
        nl_s = f"{nl['medianMs']:.3f}" if nl else "n/a"
        lines.append(f"| {s['name']} | {s['version']} | {s['samples']} | {s['accuracy']:.3f} | "
                     f"{s['f1Score']:.3f} | {s['pyLatencyMs']:.3f} | {nl_s} | "
                     f"{s['sizeBytes'] / 1024:.1f} KiB |")
    table = "\n".join(lines)
    text = readme.read_text(encoding="utf-8")
    new = re.sub(r"(<!-- metrics:start -->\n).*?(\n<!-- metrics:end -->)",
                 lambda m: m.group(1) + table + m.group(2), text, flags=re.S)
    readme.write_text(new, encoding="utf-8")


# --------------------------------------------------------------------------------------

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--skip-node", action="store_true", help="do not measure latency in onnxruntime-node")
    ap.add_argument("--only-oip", action="store_true", help="write only the OIP-only examples (oip_examples.py)")
    args = ap.parse_args()

    print(f"numpy {np.__version__}, onnx {onnx.__version__}, onnxruntime {ort.__version__}", flush=True)
    print("OIP-only models:", flush=True)
    for line in build_oip_examples(MODELS_DIR, sentiment_data()):
        print(line, flush=True)
    if args.only_oip:
        return 0
    versions: list[Version] = []
    build_fraud(versions)
    build_digits(versions)
    build_sentiment(versions)

    reference: dict = {}
    summary: list = []
    print("writing models:", flush=True)
    for v in versions:
        write_version(v, reference, summary)

    write_json(EXAMPLES_DIR / "reference-predictions.json", {
        "description": "First 20 rows of every version's samples.json: the encoded input tensor "
                       "(float32 values as exact doubles, or the raw string), and the python "
                       "onnxruntime outputs (label index, class name, probabilities). Generated by "
                       "examples/train.py.",
        "models": reference,
    })

    by = {(s["name"], s["version"]): s for s in summary}
    acc1 = by[("fraud-detection", "1.0.0")]["accuracy"]
    acc2 = by[("fraud-detection", "2.0.0")]["accuracy"]
    acc3 = by[("fraud-detection", "3.0.0-degraded")]["accuracy"]
    acc4 = by[("fraud-detection", "4.0.0-slow")]["accuracy"]
    problems = []
    if not acc2 > acc1 + 0.01:
        problems.append(f"2.0.0 accuracy {acc2} is not measurably above 1.0.0 {acc1}")
    if not acc3 <= acc1 - DEGRADED_MIN_GAP:
        problems.append(f"3.0.0-degraded accuracy {acc3} is not {DEGRADED_MIN_GAP} below 1.0.0 {acc1}")
    if acc4 != acc1:
        problems.append(f"4.0.0-slow accuracy {acc4} differs from 1.0.0 {acc1}")
    r1 = reference["fraud-detection"]["1.0.0"]["rows"]
    r4 = reference["fraud-detection"]["4.0.0-slow"]["rows"]
    if any(a["probabilities"] != b["probabilities"] or a["label"] != b["label"] for a, b in zip(r1, r4)):
        problems.append("4.0.0-slow outputs differ from 1.0.0")

    node_lat = None
    if not args.skip_node:
        node_lat = node_latency(summary)
        if node_lat:
            write_json(EXAMPLES_DIR / "node-latency.json", {
                "description": f"onnxruntime-node single-row latency: first sample row, "
                               f"{NODE_LATENCY_WARMUP} warm-up runs then {NODE_LATENCY_RUNS} timed runs. "
                               "Machine-dependent; regenerated by examples/train.py.",
                "models": node_lat,
            })
            fd = node_lat["fraud-detection"]
            ratio = fd["4.0.0-slow"]["medianMs"] / fd["1.0.0"]["medianMs"]
            print(f"  node: 4.0.0-slow / 1.0.0 median latency = {ratio:.1f}x", flush=True)
            if ratio < SLOW_MIN_RATIO:
                problems.append(f"4.0.0-slow is only {ratio:.1f}x slower than 1.0.0 in node")
    if node_lat is None and (EXAMPLES_DIR / "node-latency.json").exists():
        # models are deterministic, so the last node measurement still describes them
        node_lat = json.loads((EXAMPLES_DIR / "node-latency.json").read_text(encoding="utf-8"))["models"]
    update_readme(summary, node_lat)

    if problems:
        for p in problems:
            print("ERROR:", p, file=sys.stderr)
        return 1
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
