// Opens browser/index.html, served from another origin than the API, in headless Chromium (Debian's
// package, driven by playwright-core; no browser is downloaded) and asserts on what the page's
// fetch calls could see: statuses, bodies and the CORS-exposed headers.
//
//   tsx browser/test.ts <page URL> <API base URL> <fresh user-data-dir>

import { chromium } from "playwright-core";

import { ETAG, UUID, check, equal, run, step } from "../ts/common";

interface Seen {
  status: number;
  etag: string | null;
  location: string | null;
  requestId: string | null;
  replayed: string | null;
  contentType: string | null;
  body: any;
}

const [pageUrl, api, userDataDir] = process.argv.slice(2);
if (!pageUrl || !api || !userDataDir) {
  console.error("usage: test.ts <page URL> <API base URL> <fresh user-data-dir>");
  process.exit(2);
}
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const apiKey = process.env.LABNET_API_KEY;
if (!apiKey) {
  console.error("LABNET_API_KEY must hold an API key (labnet keys create)");
  process.exit(2);
}

run("browser", async () => {
  check(new URL(pageUrl).origin !== new URL(api).origin, "the page must be served from another origin than the API");
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    timeout: 30_000,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const problems: string[] = [];
  try {
    const page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("requestfailed", (r) => problems.push(`request failed: ${r.method()} ${r.url()}: ${r.failure()?.errorText}`));

    const result = await step("the page runs its fetch calls", async () => {
      const url = new URL(pageUrl);
      url.searchParams.set("api", api);
      await page.addInitScript((key: string) => {
        (window as unknown as { labnetApiKey?: string }).labnetApiKey = key;
      }, apiKey);
      await page.goto(url.toString(), { timeout: 15_000 });
      const handle = await page.waitForFunction(
        () => {
          const w = window as unknown as { labnetResult?: unknown; labnetError?: string };
          return w.labnetResult !== undefined || w.labnetError !== undefined ? { result: w.labnetResult, error: w.labnetError } : false;
        },
        null,
        { timeout: 30_000 },
      );
      const outcome = (await handle.jsonValue()) as { result?: Record<string, Seen>; error?: string };
      check(outcome.error === undefined, `the page failed: ${outcome.error}\n${problems.join("\n")}`);
      check(outcome.result !== undefined, "the page gave no result");
      return outcome.result;
    });
    const seen = (name: string): Seen => {
      const s = result[name];
      check(s !== undefined, `the page did not record ${name}`);
      return s;
    };

    await step("GET without credentials is a 401 problem the page can read", async () => {
      const anonymous = seen("anonymous");
      equal(anonymous.status, 401, "status");
      equal(anonymous.contentType, "application/problem+json", "content type");
      equal(anonymous.body?.type, "/problems/unauthorized", "problem type");
      check(anonymous.requestId, "X-Request-Id is not exposed on a 401");
    });

    await step("GET a list with the key; X-Request-Id is readable", async () => {
      const list = seen("list");
      equal(list.status, 200, "status");
      check(Array.isArray(list.body?.items), "no items");
      check(list.requestId, "X-Request-Id is not exposed to the page");
    });

    const created = await step("POST with an Idempotency-Key; ETag, Location, X-Request-Id are readable", async () => {
      const create = seen("create");
      equal(create.status, 201, "status");
      check(UUID.test(create.body?.id), "no id");
      check(create.etag && ETAG.test(create.etag), `ETag is not exposed or not a quoted string: ${create.etag}`);
      check(create.location?.endsWith(`/v1/regions/${create.body.id}`), `Location is not exposed or wrong: ${create.location}`);
      check(create.requestId, "X-Request-Id is not exposed");
      check(create.replayed === null || create.replayed === "false", `a first POST says Idempotent-Replayed: ${create.replayed}`);
      return create;
    });

    await step("the replayed POST says Idempotent-Replayed: true and answers the same", async () => {
      const replay = seen("replay");
      equal(replay.status, 201, "status");
      equal(replay.replayed, "true", "Idempotent-Replayed (exposed to the page)");
      equal(replay.body, created.body, "body of the replay");
      equal([replay.location, replay.etag], [created.location, created.etag], "Location and ETag of the replay");
      check(replay.requestId && replay.requestId !== created.requestId, "the replay has its own X-Request-Id");
    });

    await step("PATCH with application/merge-patch+json and If-Match", async () => {
      const patch = seen("patch");
      equal(patch.status, 200, "status");
      equal([patch.body?.name, patch.body?.rollout_stage, patch.body?.version], ["Armenia", "planned", created.body.version + 1], "patched fields");
      check(patch.etag && ETAG.test(patch.etag) && patch.etag !== created.etag, `new ETag not exposed or unchanged: ${patch.etag}`);
      check(patch.requestId, "X-Request-Id is not exposed");
    });

    await step("the same If-Match again is a 412 problem the page can read", async () => {
      const stale = seen("stalePatch");
      equal(stale.status, 412, "status");
      equal(stale.contentType, "application/problem+json", "content type");
      equal(stale.body?.type, "/problems/precondition-failed", "problem type");
      check(stale.requestId, "X-Request-Id is not exposed on a problem");
      equal(stale.body?.request_id, stale.requestId, "problem request_id and X-Request-Id header");
    });

    await step("an X-Request-Id sent by the page is echoed", async () => {
      const echo = seen("echo");
      equal(echo.status, 200, "status");
      equal(echo.requestId, "browser-page-1", "X-Request-Id");
    });

    await step("no CORS or script errors in the page", async () => {
      // The 401 and 412 are responses the page asked for; Chromium logs failed statuses as
      // console errors.
      const unexpected = problems.filter((p) => !/status of (401|412)/.test(p));
      equal(unexpected, [], "console and network errors");
    });
  } finally {
    await context.close();
  }
});
