// @ts-check
// Calls the API from the browser with plain fetch, across origins, and keeps what a script can
// see of each response: status, the CORS-exposed headers and the body. browser/test.ts reads
// the result from `window.labnetResult` and asserts on it.

/**
 * @typedef {{ status: number, etag: string | null, location: string | null, requestId: string | null,
 *             replayed: string | null, contentType: string | null, body: any }} Seen
 */

/** @param {Response} response @returns {Promise<Seen>} */
async function seen(response) {
  const text = await response.text();
  return {
    status: response.status,
    etag: response.headers.get("ETag"),
    location: response.headers.get("Location"),
    requestId: response.headers.get("X-Request-Id"),
    replayed: response.headers.get("Idempotent-Replayed"),
    contentType: response.headers.get("Content-Type"),
    body: text === "" ? null : JSON.parse(text),
  };
}

/** @param {string} api @param {string} apiKey */
async function scenario(api, apiKey) {
  const auth = { Authorization: `Bearer ${apiKey}` };
  const json = { ...auth, "Content-Type": "application/json" };
  /** @type {Record<string, Seen>} */
  const out = {};

  out.anonymous = await seen(await fetch(`${api}/v1/regions`));
  out.list = await seen(await fetch(`${api}/v1/regions?page_size=2&level=country&level=region`, { headers: auth }));

  const key = crypto.randomUUID();
  const body = JSON.stringify({ code: "AM", name: "Հայաստան", country_code: "AM", level: "country" });
  out.create = await seen(await fetch(`${api}/v1/regions`, { method: "POST", headers: { ...json, "Idempotency-Key": key }, body }));
  out.replay = await seen(await fetch(`${api}/v1/regions`, { method: "POST", headers: { ...json, "Idempotency-Key": key }, body }));

  const id = out.create.body?.id;
  const etag = out.create.etag ?? "";
  const patch = (/** @type {string} */ ifMatch) =>
    fetch(`${api}/v1/regions/${id}`, {
      method: "PATCH",
      headers: { ...auth, "Content-Type": "application/merge-patch+json", "If-Match": ifMatch },
      body: JSON.stringify({ name: "Armenia", rollout_stage: "planned" }),
    });
  out.patch = await seen(await patch(etag));
  out.stalePatch = await seen(await patch(etag));

  out.echo = await seen(await fetch(`${api}/v1/regions/${id}`, { headers: { ...auth, "X-Request-Id": "browser-page-1" } }));
  return out;
}

const api = new URLSearchParams(location.search).get("api");
const shown = /** @type {HTMLElement} */ (document.getElementById("result"));
/** @type {any} */
const page = window;
// The API key comes from the test driver, set before the page's scripts run (never in the URL).
const apiKey = page.labnetApiKey;
if (!api) {
  page.labnetError = "no ?api= in the page's URL";
  shown.textContent = page.labnetError;
} else if (typeof apiKey !== "string" || apiKey === "") {
  page.labnetError = "no API key was given to the page (window.labnetApiKey)";
  shown.textContent = page.labnetError;
} else {
  scenario(api.replace(/\/+$/, ""), apiKey).then(
    (result) => {
      page.labnetResult = result;
      shown.textContent = JSON.stringify(result, null, 2);
    },
    (error) => {
      page.labnetError = String(error && error.stack ? error.stack : error);
      shown.textContent = page.labnetError;
    },
  );
}
