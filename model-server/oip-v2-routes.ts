import type { IncomingMessage, ServerResponse } from 'node:http';
import type * as ort from 'onnxruntime-node';
import { AppError } from '../domain/errors';
import { readBody } from '../infra/http/read-body';
import { MAX_BODY_BYTES, sendJson, sendOipError } from './http-io';
import { binarySlices, HEADER_LENGTH, sendBinaryResponse, splitInferBody, wantsBinary } from './oip-binary';
import { PLATFORM, tritonModelConfig } from './oip-config';
import { decodeInput, encodeBinaryOutput, encodeOutput, OipError, tensorMetadata } from './oip-tensors';
import type { VersionHost } from './version-host';
import type { VersionRegistry } from './version-registry';

export { PLATFORM } from './oip-config';
export const SERVER_NAME = 'hotswap-model-server';
export const SERVER_VERSION = '0.1.0';
/** The protocol extensions this server implements (server metadata lists exactly these). */
export const EXTENSIONS = ['binary_tensor_data', 'model_configuration'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const INDEX_STATE = { Loading: 'LOADING', Ready: 'READY', Draining: 'UNLOADING', Unloaded: 'UNAVAILABLE', Failed: 'UNAVAILABLE' } as const;

/**
 * Open Inference Protocol v2 over REST (KServe / Triton clients): health, server and model
 * metadata, model configuration, readiness, the repository index and inference, with the
 * binary tensor data extension both ways. Errors use the protocol's body {"error": "<message>"}:
 * 400 bad request, 404 unknown model or version, 413 too large, 503 not serving, 500 inference failure.
 * Without a version, requests go to the newest Ready version of the model on this server.
 */
export function createOipV2Routes(registry: VersionRegistry, isShuttingDown: () => boolean) {
  function lookup(modelName: string, version: string | undefined): VersionHost {
    if (version === undefined) {
      const newest = registry.newestReady(modelName);
      if (newest) return newest;
      const any = registry.versionsOf(modelName)[0];
      if (any) return any;
      throw new OipError(404, `model "${modelName}" is not loaded on this server`);
    }
    const host = registry.find(modelName, version);
    if (!host) throw new OipError(404, registry.hasModel(modelName) ? `version "${version}" of model "${modelName}" is not loaded on this server` : `model "${modelName}" is not loaded on this server`);
    return host;
  }

  function described(modelName: string, version: string | undefined): VersionHost {
    const host = lookup(modelName, version);
    if (!host.graph) throw new OipError(503, `model "${modelName}" version "${host.version}" is ${host.state.toLowerCase()}`);
    return host;
  }

  function metadata(modelName: string, version: string | undefined) {
    const host = described(modelName, version);
    const versions = version === undefined ? registry.versionsOf(modelName).map((h) => h.version) : [host.version];
    return {
      name: modelName,
      versions,
      platform: PLATFORM,
      inputs: host.graph.inputs.map(tensorMetadata),
      outputs: host.graph.outputs.map(tensorMetadata),
    };
  }

  async function infer(modelName: string, version: string | undefined, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const start = performance.now();
    const host = lookup(modelName, version);
    if (!host.tryAcquire()) throw new OipError(503, `model "${modelName}" version "${host.version}" is ${host.state.toLowerCase()} on this server`);
    try {
      let raw: Buffer;
      try {
        raw = await readBody(req, MAX_BODY_BYTES);
      } catch (e) {
        throw new OipError(e instanceof AppError ? e.status : 400, e instanceof AppError ? `${e.message}` : 'invalid request body');
      }
      const { json: body, binary } = splitInferBody(raw, req.headers[HEADER_LENGTH]);
      if (!isObject(body)) throw new OipError(400, 'request body must be a JSON object');
      const { id, inputs, outputs, parameters } = body;
      if (id !== undefined && typeof id !== 'string') throw new OipError(400, 'id must be a string');
      if (parameters !== undefined && !isObject(parameters)) throw new OipError(400, 'parameters must be an object');
      if (!Array.isArray(inputs) || inputs.length === 0) throw new OipError(400, 'inputs must be a non-empty array');
      const graph = host.graph;
      const slices = binarySlices(inputs, binary);
      const feeds: Record<string, ort.Tensor> = {};
      let rows = 1;
      for (let i = 0; i < inputs.length; i++) {
        const input = inputs[i] as { name?: unknown };
        const model = graph.inputs.find((g) => g.name === input?.name);
        const decoded = decodeInput(input, i, model, graph.inputs, slices[i]);
        if (decoded.name in feeds) throw new OipError(400, `input "${decoded.name}" is given twice`);
        feeds[decoded.name] = decoded.tensor;
        if (i === 0) rows = decoded.rows;
      }
      for (const g of graph.inputs) if (!(g.name in feeds)) throw new OipError(400, `input "${g.name}" is required by the model`);
      const wanted = requestedOutputs(outputs, parameters, graph.outputs);
      const fetches = wanted.map((o) => o.name);
      let result: Record<string, ort.Tensor>;
      try {
        result = await host.runOip(feeds, fetches, rows);
      } catch (e) {
        if (e instanceof AppError && e.status === 503) throw new OipError(503, e.message);
        host.metrics.observeError();
        throw new OipError(500, `inference failed: ${(e as Error).message}`);
      }
      host.metrics.observeRequest((performance.now() - start) / 1000, rows);
      const head: Record<string, unknown> = { model_name: modelName, model_version: host.version };
      if (id !== undefined) head.id = id;
      if (!wanted.some((o) => o.binary)) {
        head.outputs = fetches.map((name) => encodeOutput(name, result[name]));
        sendJson(res, 200, head);
        return;
      }
      const chunks: Buffer[] = [];
      head.outputs = wanted.map((o) => {
        if (!o.binary) return encodeOutput(o.name, result[o.name]);
        const { header, bytes } = encodeBinaryOutput(o.name, result[o.name]);
        chunks.push(bytes);
        return header;
      });
      sendBinaryResponse(res, head, chunks);
    } finally {
      host.release();
    }
  }

  function ready(modelName: string, version: string | undefined, res: ServerResponse): void {
    const host = lookup(modelName, version);
    const isReady = host.state === 'Ready';
    sendJson(res, isReady ? 200 : 503, { name: modelName, ...(version !== undefined ? { version } : {}), ready: isReady });
  }

  /** POST /v2/repository/index: every version on this server; {"ready": true} keeps the Ready ones. */
  async function repositoryIndex(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let readyOnly = false;
    const raw = await readBody(req, 64 * 1024).catch(() => null);
    if (raw !== null) {
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        throw new OipError(400, 'Malformed JSON body');
      }
      if (!isObject(body) || (body.ready !== undefined && typeof body.ready !== 'boolean')) throw new OipError(400, 'the index request is {"ready": true|false}');
      readyOnly = body.ready === true;
    }
    const index = registry
      .all()
      .filter((h) => !readyOnly || h.state === 'Ready')
      .map((h) => ({ name: h.modelName, version: h.version, state: INDEX_STATE[h.state], ...(h.reason && { reason: h.reason }) }));
    sendJson(res, 200, index);
  }

  /** Handles /v2/...; `parts` are the decoded path segments after "v2". Returns false when nothing matches. */
  return async function handleV2(method: string, parts: string[], req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    try {
      const n = parts.length;
      if (n === 0) {
        if (method !== 'GET') return false;
        sendJson(res, 200, { name: SERVER_NAME, version: SERVER_VERSION, extensions: EXTENSIONS });
        return true;
      }
      if (parts[0] === 'health' && n === 2 && method === 'GET') {
        if (parts[1] === 'live') sendJson(res, 200, { live: true });
        else if (parts[1] === 'ready') {
          const ok = !isShuttingDown();
          sendJson(res, ok ? 200 : 503, { ready: ok });
        } else return false;
        return true;
      }
      if (parts[0] === 'repository' && n === 2 && parts[1] === 'index' && method === 'POST') {
        await repositoryIndex(req, res);
        return true;
      }
      if (parts[0] !== 'models' || n < 2) return false;
      const modelName = parts[1];
      let version: string | undefined;
      let rest: string[];
      if (parts[2] === 'versions' && n >= 4) {
        version = parts[3]!;
        rest = parts.slice(4);
      } else rest = parts.slice(2);
      if (rest.length === 0 && method === 'GET') sendJson(res, 200, metadata(modelName, version));
      else if (rest.length === 1 && rest[0] === 'ready' && method === 'GET') ready(modelName, version, res);
      else if (rest.length === 1 && rest[0] === 'config' && method === 'GET') {
        const host = described(modelName, version);
        sendJson(res, 200, tritonModelConfig(modelName, host.graph, host.spec.options));
      } else if (rest.length === 1 && rest[0] === 'infer' && method === 'POST') await infer(modelName, version, req, res);
      else return false;
      return true;
    } catch (e) {
      if (e instanceof OipError) {
        sendOipError(res, e.status, e.message);
        return true;
      }
      throw e;
    }
  };
}

/** The outputs to return, in order, and whether each goes back as binary; all outputs when none are named. */
function requestedOutputs(outputs: unknown, parameters: Record<string, unknown> | undefined, graphOutputs: readonly { name: string }[]): { name: string; binary: boolean }[] {
  if (outputs === undefined || (Array.isArray(outputs) && outputs.length === 0)) {
    const binary = wantsBinary(parameters, undefined, 0);
    return graphOutputs.map((g) => ({ name: g.name, binary }));
  }
  if (!Array.isArray(outputs)) throw new OipError(400, 'outputs must be an array of {name}');
  const wanted: { name: string; binary: boolean }[] = [];
  for (let i = 0; i < outputs.length; i++) {
    const o = outputs[i] as unknown;
    if (!isObject(o) || typeof o.name !== 'string') throw new OipError(400, `outputs[${i}] must be an object with a name`);
    if (!graphOutputs.some((g) => g.name === o.name)) throw new OipError(400, `unknown output "${o.name}": the model's outputs are ${graphOutputs.map((g) => `"${g.name}"`).join(', ')}`);
    const binary = wantsBinary(parameters, o, i);
    if (!wanted.some((w) => w.name === o.name)) wanted.push({ name: o.name, binary });
  }
  return wanted;
}
