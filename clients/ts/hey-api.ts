// Round trip through the SDK made by @hey-api/openapi-ts with its default settings (the fetch
// client and one function per operation).
//
//   tsx ts/hey-api.ts http://127.0.0.1:8080 UZ

import { client } from "../generated/hey-api/client.gen";
import {
  createEquipmentModel,
  createLaboratory,
  createLocalization,
  createLocalizationStageChange,
  createRecognitionAgreement,
  createRegion,
  createRegistrationCertificate,
  createVendor,
  deleteLaboratory,
  deleteVendor,
  getEquipmentModelEligibility,
  getLaboratory,
  getLocalization,
  getRegion,
  listEligibility,
  listLaboratories,
  listLocalizationHistory,
  updateLaboratory,
  type Problem,
} from "../generated/hey-api";
import { ETAG, UUID, args, check, equal, last, names, recordingFetch, run, step } from "./common";

const { baseUrl, country, apiKey } = args();
const recorder = recordingFetch();
// The generated functions carry each operation's security requirement; the client answers it
// with `auth`, so the key is sent as `Authorization: Bearer`.
client.setConfig({ baseUrl, fetch: recorder.fetch, auth: apiKey });
const n = names(country, "hey-api");

function header(response: Response, name: string): string {
  const value = response.headers.get(name);
  check(value !== null && value !== "", `response to ${response.url} has no ${name} header`);
  return value;
}

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

run("hey-api", async () => {
  const created = await step("create a country", async () => {
    const { data, error, response } = await createRegion({
      body: { code: country, name: `Country ${country}`, country_code: country, level: "country" },
    });
    equal(response.status, 201, "status");
    check(data !== undefined, `no body: ${JSON.stringify(error)}`);
    check(UUID.test(data.id), `id ${data.id} is not a UUID`);
    equal(data.parent_id, null, "parent_id of a country");
    check(header(response, "Location").endsWith(`/v1/regions/${data.id}`), "Location names the new region");
    check(ETAG.test(header(response, "ETag")), "ETag is a quoted string");
    equal(last(recorder.sent).headers.get("authorization"), `Bearer ${apiKey}`, "the key sent through `auth`");
    return data;
  });

  const region = await step("create a region in it", async () => {
    const { data, response } = await createRegion({
      body: {
        code: n.region,
        name: "Ақтөбе облысы",
        country_code: country,
        level: "region",
        parent_id: created.id,
        rollout_stage: "pilot",
        rollout_target_year: 2027,
      },
    });
    equal(response.status, 201, "status");
    check(data !== undefined, "no body");
    equal([data.parent_id, data.level, data.rollout_stage], [created.id, "region", "pilot"], "region fields");
    return data;
  });

  const hub = await step("create a hub laboratory", async () => {
    const { data, response } = await createLaboratory({
      body: {
        region_id: region.id,
        code: n.hub,
        name: "Центральная КДЛ",
        kind: "central",
        status: "planned",
        latitude: 50.28,
        longitude: 57.17,
        capacity_per_day: 9000,
        disciplines: ["immunology", "microbiology"],
      },
    });
    equal(response.status, 201, "status");
    check(data !== undefined, "no body");
    equal([data.kind, data.status, data.parent_id], ["central", "planned", null], "hub fields");
    return { lab: data, etag: header(response, "ETag") };
  });

  const branch = await step("create a branch sending samples to the hub", async () => {
    const { data, response } = await createLaboratory({
      body: { region_id: region.id, code: n.branch, name: "Филиал №1", kind: "branch", parent_id: hub.lab.id, status: "under_construction" },
    });
    equal(response.status, 201, "status");
    check(data !== undefined, "no body");
    equal([data.parent_id, data.status], [hub.lab.id, "under_construction"], "branch fields");
    return data;
  });

  const vendor = await step("create a vendor", async () => {
    const { data, response } = await createVendor({
      body: { name: n.vendor, country_code: "CN", website: "https://www.mindray.com", categories: ["laboratory_equipment"] },
    });
    equal(response.status, 201, "status");
    check(data !== undefined, "no body");
    return data;
  });

  const localization = await step("create a localization", async () => {
    const { data, response } = await createLocalization({
      body: { vendor_id: vendor.id, country_code: country, region_id: region.id, scope: ["equipment", "reagents"], local_content_percent: 20 },
    });
    equal(response.status, 201, "status");
    check(data !== undefined, "no body");
    equal(data.stage, "interest_declared", "initial stage");
    return data;
  });

  await step("move the localization's stage (POST stage-changes)", async () => {
    const { data, response } = await createLocalizationStageChange({
      path: { id: localization.id },
      body: { stage: "negotiating", note: "Talks opened", source: "https://example.org/news/2" },
    });
    equal(response.status, 201, "status");
    check(data !== undefined, "no body");
    equal([data.from_stage, data.to_stage, data.localization_id], ["interest_declared", "negotiating", localization.id], "stage change");
    const after = await getLocalization({ path: { id: localization.id } });
    equal(after.data?.stage, "negotiating", "stage after the change");
    const history = await listLocalizationHistory({ path: { id: localization.id } });
    equal(history.data?.items.map((c) => c.to_stage), ["interest_declared", "negotiating"], "history");
  });

  await step("an illegal stage move is a typed 409", async () => {
    const { error, response } = await createLocalizationStageChange({
      path: { id: localization.id },
      body: { stage: "producing" },
    });
    const p = problem(error, response, 409, "/problems/illegal-transition");
    equal(p.current_state, "negotiating", "current_state");
    check(p.allowed_transitions?.includes("agreement_signed"), "allowed_transitions lists agreement_signed");
  });

  await step("list with a multi-valued filter over two pages", async () => {
    const query = { region_id: [region.id], status: ["planned", "under_construction"] as ("planned" | "under_construction")[], sort: "code" as const, page_size: 1 };
    const first = await listLaboratories({ query });
    equal(last(recorder.sent).url.searchParams.getAll("status"), ["planned", "under_construction"], "status sent as repeated keys");
    equal(first.response.status, 200, "status of page 1");
    check(first.data !== undefined, "no page 1");
    equal(first.data.items.map((l) => l.id), [branch.id], "page 1");
    // The fixed contract: `next_page_token` is always present, null on the last page.
    const token: string | null = first.data.next_page_token;
    check(token !== null, "page 1 has no next_page_token");
    const second = await listLaboratories({ query: { ...query, page_token: token } });
    equal(last(recorder.sent).url.searchParams.get("page_token"), token, "page_token sent");
    check(second.data !== undefined, "no page 2");
    equal(second.data.items.map((l) => l.id), [hub.lab.id], "page 2");
    equal(second.data.next_page_token, null, "next_page_token of the last page");
  });

  const updated = await step("PATCH with If-Match", async () => {
    const { data, response } = await updateLaboratory({
      path: { id: hub.lab.id },
      headers: { "If-Match": hub.etag },
      body: { status: "under_construction", capacity_per_day: 10000 },
    });
    const sent = last(recorder.sent);
    equal(sent.headers.get("if-match"), hub.etag, "If-Match sent");
    equal(sent.headers.get("content-type"), "application/merge-patch+json", "PATCH content type");
    equal(response.status, 200, "status");
    check(data !== undefined, "no body");
    equal([data.status, data.capacity_per_day, data.version], ["under_construction", 10000, hub.lab.version + 1], "patched fields");
    const etag = header(response, "ETag");
    check(etag !== hub.etag, "ETag changed");
    return { lab: data, etag };
  });

  await step("PATCH with a stale If-Match is a typed 412", async () => {
    const { error, response } = await updateLaboratory({
      path: { id: hub.lab.id },
      headers: { "If-Match": hub.etag },
      body: { status: "operational" },
    });
    problem(error, response, 412, "/problems/precondition-failed");
    const now = await getLaboratory({ path: { id: hub.lab.id } });
    equal([now.data?.status, now.data?.version], ["under_construction", updated.lab.version], "the stale PATCH changed nothing");
  });

  await step("read X-Request-Id from a response", async () => {
    const generated = await getRegion({ path: { id: region.id } });
    check(header(generated.response, "X-Request-Id").length >= 8, "generated X-Request-Id is too short");
    const mine = `rt-hey-api-${country}`;
    const echoed = await getRegion({ path: { id: region.id }, headers: { "X-Request-Id": mine } });
    equal(header(echoed.response, "X-Request-Id"), mine, "X-Request-Id echoed");
  });

  await step("a duplicate code is a typed 409 naming the field", async () => {
    const { error, response } = await createLaboratory({
      body: { region_id: region.id, code: n.hub.toLowerCase(), name: "Дубликат", kind: "branch" },
    });
    const p = problem(error, response, 409, "/problems/duplicate");
    check(p.errors !== undefined, "the problem has no errors[]");
    equal(p.errors.map((e) => e.field), ["code"], "errors[].field");
  });

  await step("an invalid field is a typed 422 naming the field", async () => {
    const { error, response } = await createLaboratory({
      body: { region_id: region.id, code: n.invalid, name: "X", kind: "branch", latitude: 91, longitude: 0 },
    });
    const p = problem(error, response, 422, "/problems/validation");
    check(p.errors !== undefined, "the problem has no errors[]");
    equal(p.errors.map((e) => e.field), ["latitude"], "errors[].field");
  });

  await step("may a model registered here be supplied in Syria (eligibility, one and many)", async () => {
    const model = await createEquipmentModel({
      body: { vendor_id: vendor.id, name: `Analyzer ${country}`, model_code: `BC-${country}-H`, category: "hematology_analyzer" },
    });
    equal(model.response.status, 201, "model status");
    check(model.data !== undefined, "no model");
    const certificate = await createRegistrationCertificate({
      body: { equipment_model_id: model.data.id, country_code: country, issuing_authority: `Authority of ${country}`, number: `H-${country}-1`, issued_on: "2024-01-01" },
    });
    equal(certificate.response.status, 201, "certificate status");
    check(certificate.data !== undefined, "no certificate");
    const agreement = await createRecognitionAgreement({
      body: { recognizing_country_code: "SY", recognized_country_code: country, mutual: false, scope: "both", in_force_from: "2026-07-01", title: `SY recognizes ${country}`, source: "https://example.org/agreement" },
    });
    equal(agreement.response.status, 201, "agreement status");
    check(agreement.data !== undefined, "no agreement");
    const answer = await getEquipmentModelEligibility({ path: { id: model.data.id }, query: { country_code: "SY", on: "2027-01-01" } });
    equal(answer.response.status, 200, "eligibility status");
    check(answer.data !== undefined, "no answer");
    equal(
      [answer.data.eligible, answer.data.basis, answer.data.certificate?.id, answer.data.agreement?.id],
      [true, "recognized", certificate.data.id, agreement.data.id],
      "answer",
    );
    // In its own country the model is registered directly.
    const home = await listEligibility({ query: { country_code: country, on: "2027-01-01", equipment_model_id: [model.data.id], eligible: true } });
    equal(home.response.status, 200, "batch status");
    check(home.data !== undefined, "no page");
    equal(home.data.items.map((item) => item.basis), ["registered"], "registered at home");
  });

  await step("a vendor that a localization refers to is not deleted (typed 409)", async () => {
    const { error, response } = await deleteVendor({ path: { id: vendor.id } });
    const p = problem(error, response, 409, "/problems/still-referenced");
    check((p.referenced_by ?? []).length > 0, "referenced_by is empty");
  });

  await step("delete the laboratories (one with If-Match), then see 404", async () => {
    const deletions = [
      await deleteLaboratory({ path: { id: branch.id } }),
      await deleteLaboratory({ path: { id: hub.lab.id }, headers: { "If-Match": updated.etag } }),
    ];
    equal(deletions.map((d) => d.response.status), [204, 204], "delete statuses");
    const gone = await getLaboratory({ path: { id: hub.lab.id } });
    problem(gone.error, gone.response, 404, "/problems/not-found");
});
});
