// What the TypeScript round trips share: arguments, assertions, a fetch that records what the
// client sent, and the names of the rows each round trip creates.

import { isDeepStrictEqual } from "node:util";

export interface Args {
  /** The API's base URL, e.g. http://127.0.0.1:8080 (the spec's `servers` may be relative). */
  baseUrl: string;
  /** ISO 3166-1 alpha-2 code of the country this round trip creates, so several can share a server. */
  country: string;
  /** An editor's or admin's API key, from `LABNET_API_KEY` (kept out of argv and so of `ps`). */
  apiKey: string;
}

export function args(): Args {
  const [baseUrl, country] = process.argv.slice(2);
  const apiKey = process.env.LABNET_API_KEY;
  if (!baseUrl || !country || !/^[A-Z]{2}$/.test(country) || !apiKey) {
    console.error("usage: LABNET_API_KEY=<key> <base-url> <country code, e.g. KZ>");
    process.exit(2);
  }
  return { baseUrl: baseUrl.replace(/\/+$/, ""), country, apiKey };
}

export class Mismatch extends Error {}

export function check(condition: unknown, message: string): asserts condition {
  if (!condition) {
    throw new Mismatch(message);
  }
}

export function equal(actual: unknown, expected: unknown, what: string): void {
  if (!isDeepStrictEqual(actual, expected)) {
    throw new Mismatch(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

/** Runs one named step, printing `ok` or `FAIL` beside its name. */
export async function step<T>(name: string, body: () => Promise<T>): Promise<T> {
  try {
    const result = await body();
    console.log(`ok    ${name}`);
    return result;
  } catch (e) {
    console.log(`FAIL  ${name}`);
    throw e;
  }
}

/** Runs a round trip; any failed step ends the process with status 1. */
export function run(client: string, scenario: () => Promise<void>): void {
  scenario().then(
    () => console.log(`${client}: round trip passed`),
    (e: unknown) => {
      const message = e instanceof Mismatch ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e);
      console.error(`${client}: round trip failed: ${message}`);
      process.exit(1);
    },
  );
}

export interface Sent {
  method: string;
  url: URL;
  headers: Headers;
}

/** A `fetch` that keeps the method, URL and headers of every request the client sends. */
export function recordingFetch(): { fetch: typeof globalThis.fetch; sent: Sent[] } {
  const sent: Sent[] = [];
  const recording = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    sent.push({ method: request.method, url: new URL(request.url), headers: new Headers(request.headers) });
    return globalThis.fetch(request);
  };
  return { fetch: recording, sent };
}

/** The last request sent, for asserting on what the client put on the wire. */
export function last(sent: Sent[]): Sent {
  const request = sent[sent.length - 1];
  check(request !== undefined, "no request was recorded");
  return request;
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A strong ETag: a quoted string. */
export const ETAG = /^"[^"]+"$/;

/** The codes and names of the rows one round trip creates in its own country. */
export function names(country: string, client: string) {
  return {
    region: `${country}-RT`,
    hub: `${country}-HUB-001`,
    branch: `${country}-BR-001`,
    invalid: `${country}-BAD-001`,
    vendor: `Mindray (${client} ${country})`,
  };
}
