import { parentPort } from "node:worker_threads";
import { compactMapBuffers } from "./compact-map";
import { InvalidSourceMapError, loadMap, MapTooLargeError, prepareScopes } from "./loaded-map";
import type { ParseReply, ParseRequest } from "./parse-thread";

/**
 * The source-map parse thread (started by parse-thread.ts): JSON.parse and decoding of a map,
 * and the acorn parse of its minified file into the scope index, away from the worker's main
 * thread. Replies with typed arrays transferred, not copied; the minified text stays with the
 * caller, which has it already.
 */
parentPort!.on("message", ({ url, map, minified }: ParseRequest) => {
  let reply: ParseReply;
  const transfer: ArrayBuffer[] = [];
  try {
    const loaded = loadMap(url, Buffer.from(map.buffer, map.byteOffset, map.byteLength), minified);
    prepareScopes(loaded); // null scopes (and no minified text kept) when acorn cannot or may not read it
    const { scopes, minifiedLineStarts, sourceLines } = loaded;
    transfer.push(...compactMapBuffers(loaded.map), sourceLines.starts.buffer as ArrayBuffer, sourceLines.offsets.buffer as ArrayBuffer);
    if (scopes) transfer.push(...[scopes.starts, scopes.ends, scopes.parents, scopes.nameTokens, scopes.classTokens].map((a) => a.buffer as ArrayBuffer));
    if (minifiedLineStarts) transfer.push(minifiedLineStarts.buffer as ArrayBuffer);
    reply = {
      ok: true,
      map: loaded.map,
      scopes: scopes ?? null,
      minifiedLineStarts: minifiedLineStarts ?? null,
      sourceLines,
      weight: loaded.weight,
    };
  } catch (error) {
    const refusal = error instanceof InvalidSourceMapError ? "invalid" : error instanceof MapTooLargeError ? "too-large" : null;
    reply = { ok: false, refusal, message: (error as Error).message };
  }
  parentPort!.postMessage(reply, transfer);
});
