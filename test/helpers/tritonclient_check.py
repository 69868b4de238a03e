"""Runs Python tritonclient (HTTP) against an Open Inference Protocol server for the tests.

Reads a JSON list of targets on stdin, each {"url": "host:port", "headers": {...}, "cases": [{"model",
"version"?, "inputs": [{"name", "datatype", "shape", "data"}], "outputs": [names], "binary": bool}]}
(one interpreter for all: starting Python and gevent is most of the time), and prints a JSON list
with, per target: server and model metadata, model configs, the repository index, each case's
outputs (as lists) and what the client raised for an unknown model.
"""

import json
import sys

import numpy as np
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException, triton_to_np_dtype


def as_json(value):
    if isinstance(value, np.ndarray):
        return [as_json(v) for v in value.tolist()] if value.dtype == object else value.tolist()
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value


def check(spec: dict) -> dict:
    headers = spec.get("headers", {})
    client = httpclient.InferenceServerClient(url=spec["url"])
    out = {
        "live": client.is_server_live(headers=headers),
        "ready": client.is_server_ready(headers=headers),
        "server": client.get_server_metadata(headers=headers),
        "index": client.get_model_repository_index(headers=headers),
        "models": {},
        "cases": [],
    }
    for case in spec["cases"]:
        model, version = case["model"], case.get("version", "")
        if model not in out["models"]:
            out["models"][model] = {
                "ready": client.is_model_ready(model, version, headers=headers),
                "metadata": client.get_model_metadata(model, version, headers=headers),
                "config": client.get_model_config(model, version, headers=headers),
            }
        inputs = []
        for i in case["inputs"]:
            dtype = object if i["datatype"] == "BYTES" else triton_to_np_dtype(i["datatype"])
            data = [s.encode("utf-8") for s in i["data"]] if i["datatype"] == "BYTES" else i["data"]
            arr = np.array(data, dtype=dtype).reshape(i["shape"])
            inp = httpclient.InferInput(i["name"], list(arr.shape), i["datatype"])
            inp.set_data_from_numpy(arr, binary_data=case["binary"])
            inputs.append(inp)
        outputs = [httpclient.InferRequestedOutput(n, binary_data=case["binary"]) for n in case["outputs"]]
        result = client.infer(model, inputs, model_version=version, outputs=outputs, headers=headers, request_id="tc-1")
        response = result.get_response()
        out["cases"].append({
            "id": response.get("id"),
            "outputs": {n: as_json(result.as_numpy(n)) for n in case["outputs"]},
            "binary": [o["name"] for o in response["outputs"] if "binary_data_size" in o.get("parameters", {})],
        })
    try:
        client.get_model_metadata("no-such-model", headers=headers)
        out["unknown"] = None
    except InferenceServerException as e:
        out["unknown"] = {"message": e.message(), "status": e.status()}
    return out


def main() -> int:
    print(json.dumps([check(spec) for spec in json.load(sys.stdin)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
