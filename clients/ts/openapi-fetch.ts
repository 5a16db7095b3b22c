// Round trip through the client made by openapi-typescript (types) and openapi-fetch (calls),
// both with their default settings.
//
//   tsx ts/openapi-fetch.ts http://127.0.0.1:8080 KZ

import createClient from "openapi-fetch";

import type { components, paths } from "../generated/openapi-typescript/schema";
import { ETAG, UUID, args, check, equal, last, names, recordingFetch, run, step } from "./common";

type Problem = components["schemas"]["Problem"];

// The spec declares `X-Request-Id` on the responses, success and problem alike, so a generated
// client knows it is there: these two lines type-check only then.
type Declared<T> = NonNullable<T> extends string ? "declared" : "X-Request-Id is not declared";
const requestIdDeclared: [
  Declared<paths["/v1/regions"]["post"]["responses"][201]["headers"]["X-Request-Id"]>,
  Declared<components["responses"]["Conflict"]["headers"]["X-Request-Id"]>,
] = ["declared", "declared"];
void requestIdDeclared;

const { baseUrl, country, apiKey } = args();
const recorder = recordingFetch();
// openapi-fetch applies no security scheme itself: the bearer key is a default header.
// The laboratory list answers JSON or, for `Accept: application/geo+json`, GeoJSON: a client
// that reads JSON says so (openapi-fetch's media-type parameter), and one for maps the other.
const api = createClient<paths, "application/json" | "application/problem+json">({
  baseUrl,
  fetch: recorder.fetch,
  headers: { Authorization: `Bearer ${apiKey}` },
});
const maps = createClient<paths, "application/geo+json">({ baseUrl, fetch: recorder.fetch, headers: { Authorization: `Bearer ${apiKey}` } });
const anonymous = createClient<paths>({ baseUrl, fetch: recorder.fetch });
const n = names(country, "openapi-fetch");

function header(response: Response, name: string): string {
  const value = response.headers.get(name);
  check(value !== null && value !== "", `response to ${response.url} has no ${name} header`);
  return value;
}

/** A problem document as the client parsed it, checked against its status. */
function problem(error: Problem | undefined, response: Response, status: number, type: string): Problem {
  equal(response.status, status, `status of ${response.url}`);
  check(error !== undefined, `no problem document parsed for ${response.status}`);
  equal(response.headers.get("content-type"), "application/problem+json", "problem content type");
  equal(error.status, status, "problem status");
  equal(error.type, type, "problem type");
  check(error.title.length > 0 && error.detail.length > 0, "problem without title or detail");
  equal(error.request_id, header(response, "X-Request-Id"), "problem request_id and X-Request-Id header");
  return error;
}

run("openapi-fetch", async () => {
  await step("without credentials: 401 with WWW-Authenticate", async () => {
    const { error, response } = await anonymous.GET("/v1/regions");
    problem(error, response, 401, "/problems/unauthorized");
    check(header(response, "WWW-Authenticate").startsWith("Bearer"), "WWW-Authenticate names the Bearer scheme");
  });

  const created = await step("create a country", async () => {
    const { data, error, response } = await api.POST("/v1/regions", {
      body: { code: country, name: `Country ${country}`, country_code: country, level: "country" },
    });
    equal(response.status, 201, "status");
    check(data !== undefined, `no body: ${JSON.stringify(error)}`);
    check(UUID.test(data.id), `id ${data.id} is not a UUID`);
    equal(data.parent_id, null, "parent_id of a country");
    check(header(response, "Location").endsWith(`/v1/regions/${data.id}`), "Location names the new region");
    check(ETAG.test(header(response, "ETag")), "ETag is a quoted string");
    return data;
  });

  const region = await step("create a region in it", async () => {
    const { data, response } = await api.POST("/v1/regions", {
      body: {
        code: n.region,
        name: "Курганская область",
        country_code: country,
        level: "region",
        parent_id: created.id,
        rollout_stage: "pilot",
        rollout_target_year: 2026,
      },
    });
    equal(response.status, 201, "status");
    check(data !== undefined, "no body");
    equal([data.parent_id, data.level, data.rollout_stage], [created.id, "region", "pilot"], "region fields");
    return data;
  });

  const hub = await step("create a hub laboratory", async () => {
    const { data, response } = await api.POST("/v1/laboratories", {
      body: {
        region_id: region.id,
        code: n.hub,
        name: "Центральная КДЛ",
        kind: "central",
        status: "planned",
        latitude: 55.44,
        longitude: 65.34,
        capacity_per_day: 12000,
        disciplines: ["clinical_chemistry", "hematology"],
      },
    });
    equal(response.status, 201, "status");
    check(data !== undefined, "no body");
    const etag = header(response, "ETag");
    equal([data.kind, data.status, data.parent_id], ["central", "planned", null], "hub fields");
    return { lab: data, etag };
  });

  const branch = await step("create a branch sending samples to the hub", async () => {
    const { data, response } = await api.POST("/v1/laboratories", {
      body: { region_id: region.id, code: n.branch, name: "Филиал №1", kind: "branch", parent_id: hub.lab.id, status: "under_construction" },
    });
    equal(response.status, 201, "status");
    check(data !== undefined, "no body");
    equal([data.parent_id, data.status], [hub.lab.id, "under_construction"], "branch fields");
    return data;
  });

  const vendor = await step("create a vendor", async () => {
    const { data, response } = await api.POST("/v1/vendors", {
      body: { name: n.vendor, country_code: "CN", website: "https://www.mindray.com", categories: ["laboratory_equipment", "reagents"] },
    });
    equal(response.status, 201, "status");
    check(data !== undefined, "no body");
    return data;
  });

  const localization = await step("create a localization", async () => {
    const { data, response } = await api.POST("/v1/localizations", {
      body: { vendor_id: vendor.id, country_code: country, region_id: region.id, scope: ["reagents"], local_content_percent: 35, partner: "Медтехника" },
    });
    equal(response.status, 201, "status");
    check(data !== undefined, "no body");
    equal(data.stage, "interest_declared", "initial stage");
    return data;
  });

  await step("move the localization's stage (POST stage-changes)", async () => {
    const { data, response } = await api.POST("/v1/localizations/{id}/stage-changes", {
      params: { path: { id: localization.id } },
      body: { stage: "negotiating", note: "Talks opened", source: "https://example.org/news/1" },
    });
    equal(response.status, 201, "status");
    check(data !== undefined, "no body");
    equal([data.from_stage, data.to_stage, data.localization_id], ["interest_declared", "negotiating", localization.id], "stage change");
    const after = await api.GET("/v1/localizations/{id}", { params: { path: { id: localization.id } } });
    equal(after.data?.stage, "negotiating", "stage after the change");
    const history = await api.GET("/v1/localizations/{id}/history", { params: { path: { id: localization.id } } });
    equal(history.data?.items.map((c) => c.to_stage), ["interest_declared", "negotiating"], "history");
  });

  await step("an illegal stage move is a typed 409", async () => {
    const { error, response } = await api.POST("/v1/localizations/{id}/stage-changes", {
      params: { path: { id: localization.id } },
      body: { stage: "producing" },
    });
    const p = problem(error, response, 409, "/problems/illegal-transition");
    equal(p.current_state, "negotiating", "current_state");
    check(p.allowed_transitions?.includes("agreement_signed"), "allowed_transitions lists agreement_signed");
  });

  await step("list with a multi-valued filter over two pages", async () => {
    const query = { region_id: [region.id], status: ["planned", "under_construction"] as ("planned" | "under_construction")[], sort: "code" as const, page_size: 1 };
    const first = await api.GET("/v1/laboratories", { params: { query } });
    const sent = last(recorder.sent).url;
    equal(sent.searchParams.getAll("status"), ["planned", "under_construction"], "status sent as repeated keys");
    equal(first.response.status, 200, "status of page 1");
    check(first.data !== undefined, "no page 1");
    equal(first.data.items.map((l) => l.id), [branch.id], "page 1");
    // The fixed contract: `next_page_token` is always present, null on the last page.
    const token: string | null = first.data.next_page_token;
    check(token !== null, "page 1 has no next_page_token");
    const second = await api.GET("/v1/laboratories", { params: { query: { ...query, page_token: token } } });
    equal(last(recorder.sent).url.searchParams.get("page_token"), token, "page_token sent");
    check(second.data !== undefined, "no page 2");
    equal(second.data.items.map((l) => l.id), [hub.lab.id], "page 2");
    equal(second.data.next_page_token, null, "next_page_token of the last page");
  });

  await step("the same list as GeoJSON", async () => {
    const query = { region_id: [region.id], status: ["planned", "under_construction"] as ("planned" | "under_construction")[], sort: "code" as const };
    const { data, response } = await maps.GET("/v1/laboratories", {
      params: { query },
      headers: { Accept: "application/geo+json" },
    });
    equal(response.status, 200, "status");
    equal(response.headers.get("content-type"), "application/geo+json", "content type");
    check((response.headers.get("vary") ?? "").includes("Accept"), "Vary names Accept");
    check(data !== undefined, "no collection");
    equal(data.type, "FeatureCollection", "type");
    equal(data.features.map((f) => [f.id, f.properties.code]), [[branch.id, n.branch], [hub.lab.id, n.hub]], "features");
    equal(data.features[0].geometry, null, "a branch without coordinates has no geometry");
    equal(data.features[1].geometry?.coordinates, [65.34, 55.44], "the hub's point, longitude first");
    equal(data.next_page_token, null, "one page");
  });

  const updated = await step("PATCH with If-Match", async () => {
    const { data, response } = await api.PATCH("/v1/laboratories/{id}", {
      params: { path: { id: hub.lab.id }, header: { "If-Match": hub.etag } },
      headers: { "Content-Type": "application/merge-patch+json" },
      body: { status: "under_construction", capacity_per_day: 15000 },
    });
    equal(last(recorder.sent).headers.get("if-match"), hub.etag, "If-Match sent");
    equal(response.status, 200, "status");
    check(data !== undefined, "no body");
    equal([data.status, data.capacity_per_day, data.version], ["under_construction", 15000, hub.lab.version + 1], "patched fields");
    const etag = header(response, "ETag");
    check(etag !== hub.etag, "ETag changed");
    return { lab: data, etag };
  });

  await step("PATCH with a stale If-Match is a typed 412", async () => {
    const { error, response } = await api.PATCH("/v1/laboratories/{id}", {
      params: { path: { id: hub.lab.id }, header: { "If-Match": hub.etag } },
      headers: { "Content-Type": "application/merge-patch+json" },
      body: { status: "operational" },
    });
    problem(error, response, 412, "/problems/precondition-failed");
    const now = await api.GET("/v1/laboratories/{id}", { params: { path: { id: hub.lab.id } } });
    equal([now.data?.status, now.data?.version], ["under_construction", updated.lab.version], "the stale PATCH changed nothing");
  });

  await step("read X-Request-Id from a response", async () => {
    const generated = await api.GET("/v1/regions/{id}", { params: { path: { id: region.id } } });
    check(header(generated.response, "X-Request-Id").length >= 8, "generated X-Request-Id is too short");
    const mine = `rt-openapi-fetch-${country}`;
    const echoed = await api.GET("/v1/regions/{id}", { params: { path: { id: region.id } }, headers: { "X-Request-Id": mine } });
    equal(header(echoed.response, "X-Request-Id"), mine, "X-Request-Id echoed");
  });

  await step("a duplicate code is a typed 409 naming the field", async () => {
    const { error, response } = await api.POST("/v1/laboratories", {
      body: { region_id: region.id, code: n.hub.toLowerCase(), name: "Дубликат", kind: "branch" },
    });
    const p = problem(error, response, 409, "/problems/duplicate");
    check(p.errors !== undefined, "the problem has no errors[]");
    equal(p.errors.map((e) => e.field), ["code"], "errors[].field");
  });

  await step("an invalid field is a typed 422 naming the field", async () => {
    const { error, response } = await api.POST("/v1/laboratories", {
      body: { region_id: region.id, code: n.invalid, name: "X", kind: "branch", latitude: 91, longitude: 0 },
    });
    const p = problem(error, response, 422, "/problems/validation");
    check(p.errors !== undefined, "the problem has no errors[]");
    equal(p.errors.map((e) => e.field), ["latitude"], "errors[].field");
  });

  await step("may a model registered here be supplied in Syria (eligibility, one and many)", async () => {
    const model = await api.POST("/v1/equipment-models", {
      body: { vendor_id: vendor.id, name: `Analyzer ${country}`, model_code: `BC-${country}-F`, category: "hematology_analyzer" },
    });
    equal(model.response.status, 201, "model status");
    check(model.data !== undefined, "no model");
    const certificate = await api.POST("/v1/registration-certificates", {
      body: { equipment_model_id: model.data.id, country_code: country, issuing_authority: `Authority of ${country}`, number: `F-${country}-1`, issued_on: "2024-01-01" },
    });
    equal(certificate.response.status, 201, "certificate status");
    check(certificate.data !== undefined, "no certificate");
    equal(certificate.data.expired, false, "expired");
    const agreement = await api.POST("/v1/recognition-agreements", {
      body: { recognizing_country_code: "SY", recognized_country_code: country, mutual: false, scope: "medical_devices", in_force_from: "2026-07-01", title: `SY recognizes ${country}`, source: "https://example.org/agreement" },
    });
    equal(agreement.response.status, 201, "agreement status");
    check(agreement.data !== undefined, "no agreement");
    const answer = await api.GET("/v1/equipment-models/{id}/eligibility", {
      params: { path: { id: model.data.id }, query: { country_code: "SY", on: "2027-01-01" } },
    });
    equal(answer.response.status, 200, "eligibility status");
    check(answer.data !== undefined, "no answer");
    equal(
      [answer.data.eligible, answer.data.basis, answer.data.certificate?.id, answer.data.agreement?.id],
      [true, "recognized", certificate.data.id, agreement.data.id],
      "answer",
    );
    const before = await api.GET("/v1/eligibility", {
      params: { query: { country_code: "SY", on: "2026-06-30", equipment_model_id: [model.data.id] } },
    });
    equal(before.response.status, 200, "batch status");
    check(before.data !== undefined, "no page");
    equal(before.data.items.length, 1, "one answer");
    equal(before.data.items[0]?.eligible, false, "not yet in force");
    equal(before.data.items[0]?.reasons.map((r) => r.code), ["no_certificate", "agreement_not_in_force"], "reasons");
  });

  await step("a vendor that a localization refers to is not deleted (typed 409)", async () => {
    const { error, response } = await api.DELETE("/v1/vendors/{id}", { params: { path: { id: vendor.id } } });
    const p = problem(error, response, 409, "/problems/still-referenced");
    check((p.referenced_by ?? []).length > 0, "referenced_by is empty");
  });

  await step("delete the laboratories (one with If-Match), then see 404", async () => {
    const deletions = [
      await api.DELETE("/v1/laboratories/{id}", { params: { path: { id: branch.id } } }),
      await api.DELETE("/v1/laboratories/{id}", { params: { path: { id: hub.lab.id }, header: { "If-Match": updated.etag } } }),
    ];
    equal(deletions.map((d) => d.response.status), [204, 204], "delete statuses");
    const gone = await api.GET("/v1/laboratories/{id}", { params: { path: { id: hub.lab.id } } });
    problem(gone.error, gone.response, 404, "/problems/not-found");
});
});
