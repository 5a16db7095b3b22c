//! The OpenAPI document: metadata, shared components, and the paths collected from every
//! resource's handlers.

use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::path::{
    Operation, Parameter, ParameterBuilder, ParameterIn, ParameterStyle, PathItem,
};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::server::ServerBuilder;
use utoipa::openapi::{KnownFormat, OpenApi as OpenApiDoc, Ref, RefOr, Required, SchemaFormat};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

mod properties;

use crate::core::states::expand_moves;
use crate::http::jwt::JWT_DESCRIPTION;
use crate::http::responses;
use crate::{core::error::FieldError, http::problem::Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "labnet",
        description = "Central registry of a clinical-laboratory network: regions, laboratories, \
equipment vendors and the localization of vendors' production in each country.\n\n\
Conventions: ids are UUIDs; timestamps are RFC 3339 UTC; dates are YYYY-MM-DD in the years 1900–2200; every error is \
an RFC 9457 problem document (`application/problem+json`) whose `type` (a `ProblemType`) \
leads to a page describing it (`GET /problems/{name}`). Lists use keyset pagination \
(`page_size`, `page_token` → `next_page_token`); a filter taking several values is sent as \
repeated keys (`status=a&status=b`) or comma-separated (`status=a,b`). Every `GET` under `/v1` \
returns an `ETag`: a resource's is strong and names its `version` (send it in `If-Match` on \
PATCH/DELETE: 412 when stale); a list's is weak and digests the page's content; either in \
`If-None-Match` gets 304 while current. Every response carries `X-Request-Id`; a POST retried \
with its `Idempotency-Key` gets the first answer again with `Idempotent-Replayed: true`. PATCH \
takes a JSON Merge Patch (RFC 7396). A CORS preflight that the configured origins, methods or headers do not \
allow is refused with 403 `/problems/cors-refused` (the `CorsRefused` response).\n\n\
Authentication: send `Authorization: Bearer <API key or token>` (the `bearer` scheme). Each \
operation's `security` names the role it needs: `reader` for every GET, `editor` for writes \
to the registry, `admin` for API keys; each role includes the ones before it. An editor may \
be limited to regions: it writes only rows in those regions or their subregions (before and \
after the write), links a laboratory only to hubs there, and writes rows that belong to no \
region (vendors, organizations, localizations without a region) only with `global` scope. \
Missing or refused credentials get 401 with `WWW-Authenticate`; a caller without the role or \
the region gets 403 (`required_role`, `outside_regions`), and nothing is written. With \
`LABNET_PUBLIC_READ=true` every GET also answers without credentials.\n\n\
Rate limits: each API key or token may make `LABNET_RATE_LIMIT_PER_KEY` requests a minute \
(6000 by default) to one instance, and each client address as many as \
`LABNET_RATE_LIMIT_ANONYMOUS` (600) without valid credentials (refused credentials count \
there too). The quota refills steadily; up to `LABNET_RATE_LIMIT_BURST` of it (by default \
all) may be spent at once. Every limited response \
carries `RateLimit-Policy` (`\"caller\";q=6000;w=60`: the quota per window of seconds) and \
`RateLimit` (`\"caller\";r=5999;t=1`: requests remaining, and seconds until the quota is whole \
again), as the IETF httpapi RateLimit header fields draft writes them; a request over the \
limit gets 429 `/problems/rate-limited` with `Retry-After` (the `TooManyRequests` response). \
`/healthz`, `/readyz` and `/metrics` are never limited.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
        version = "1.0.0"
    ),
    components(
        schemas(Problem, FieldError),
        responses(
            responses::BadRequest,
            responses::NotFound,
            responses::Conflict,
            responses::CorsRefused,
            responses::PreconditionFailed,
            responses::RequestTimeout,
            responses::PayloadTooLarge,
            responses::UnsupportedMediaType,
            responses::NotAcceptable,
            responses::ValidationFailed,
            responses::ServiceUnavailable,
            responses::InternalError,
            responses::Unauthorized,
            responses::Forbidden,
            responses::TooManyRequests,
        )
    ),
    modifiers(&BearerScheme),
    tags(
        (name = "regions", description = "Administrative territories, nested country > district > region > municipality, with the rollout stage of the centralization programme"),
        (name = "laboratories", description = "Facilities of the network: hubs, branches, collection points and mobile labs, with their lifecycle status"),
        (name = "vendors", description = "Manufacturers of laboratory and medical equipment, reagents and consumables"),
        (name = "localizations", description = "A vendor bringing (part of) its production into a country, with its stage history"),
        (name = "organizations", description = "Operators, federations, distributors, manufacturers, universities and authorities"),
        (name = "equipment", description = "Models of equipment vendors make, and the units of them installed at laboratories"),
        (name = "registration", description = "Registration certificates, the agreements by which countries recognize each other's, and whether a model may be supplied in a country on a date"),
        (name = "api-keys", description = "Who may call the API: keys with a role (`reader`, `editor`, `admin`) and, for editors, the regions they may write in; admins only"),
        (name = "audit", description = "Who changed what and when: the audit trail of every write, and the change feed of the registry in commit order"),
        (name = "operations", description = "Health, readiness and metrics"),
        (name = "problems", description = "What each problem type means: the page a problem document's `type` leads to")
    )
)]
struct ApiDoc;

/// The `bearer` security scheme every operation under `/v1` names.
struct BearerScheme;

/// What the `bearer` scheme's description says.
pub const BEARER_DESCRIPTION: &str = "An API key (`lnk_…`, made by an admin through `POST \
/v1/api-keys` or on the server with `labnet keys create --role admin --name ops`; shown once), \
or, when the service is configured for it, a JWT from the organization's identity provider. \
The scopes listed in an operation's requirement are the role it needs (`reader`, `editor`, \
`admin`).";

/// The claims of a token the default claim names accept: an editor limited to one region
/// and its subregions, without `global` scope.
pub const JWT_EXAMPLE: &str = r#"Example: a token with the header `{"alg": "RS256", "typ": "JWT", "kid": "2026-11"}` and the payload

```json
{
  "iss": "https://idp.example/realms/labnet",
  "aud": "labnet",
  "sub": "f3b1c2d4-7e8a-4b9c-a1d2-e3f4a5b6c7d8",
  "name": "Aigerim Sadykova",
  "iat": 1795000000,
  "exp": 1795003600,
  "labnet_role": "editor",
  "labnet_regions": ["0193a0f4-9d20-7c3d-9a10-2b3c4d5e6fa0"],
  "labnet_global": false
}
```

writes as an editor in that region and its subregions; the audit trail names the actor `token` `f3b1c2d4-7e8a-4b9c-a1d2-e3f4a5b6c7d8`."#;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, spec: &mut OpenApiDoc) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = spec.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("API key or JWT")
                    // The same text whatever the configuration, so the served document
                    // is the committed one.
                    .description(Some(format!(
                        "{BEARER_DESCRIPTION}\n\n{JWT_DESCRIPTION}\n\n{JWT_EXAMPLE}"
                    )))
                    .build(),
            ),
        );
    }
}

/// Metadata and shared components; paths are added by the handlers' registration.
pub fn base() -> OpenApiDoc {
    ApiDoc::openapi()
}

/// Final touches applied after the paths are collected. The error responses that follow
/// from shared layers are added here, once, instead of on every handler: every `/v1`
/// operation may answer 500 and 503; one with a body 400, 408, 413, 415 and 422; one with an id
/// in its path 404; every operation the rate limits count 429. Every POST documents the `Idempotency-Key` header. Then, each in its own
/// function: the response headers every layer adds, the links from creates, the style of
/// array filters and the `servers` entry.
pub fn finish(mut spec: OpenApiDoc) -> OpenApiDoc {
    properties::hoist_branch_descriptions(&mut spec);
    expand_state_tables(&mut spec);
    add_problem_schemas(&mut spec);
    for (path, item) in spec.paths.paths.iter_mut() {
        let has_id = path.contains("{id}");
        let versioned = path.starts_with("/v1/");
        let operations = [
            item.get.as_mut(),
            item.post.as_mut(),
            item.patch.as_mut(),
            item.delete.as_mut(),
        ];
        for operation in operations.into_iter().flatten() {
            let has_body = operation.request_body.is_some();
            let mut shared = Vec::new();
            if has_body {
                shared.extend([
                    ("400", "BadRequest"),
                    ("408", "RequestTimeout"),
                    ("413", "PayloadTooLarge"),
                    ("415", "UnsupportedMediaType"),
                    ("422", "ValidationFailed"),
                ]);
            }
            if has_id {
                shared.push(("404", "NotFound"));
            }
            if versioned && negotiates(operation) {
                shared.push(("406", "NotAcceptable"));
            }
            if versioned {
                shared.extend([("500", "InternalError"), ("503", "ServiceUnavailable")]);
            }
            if !crate::http::limits::exempt(path) {
                shared.push(("429", "TooManyRequests"));
            }
            if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
                shared.extend([("401", "Unauthorized"), ("403", "Forbidden")]);
            }
            for (status, name) in shared {
                operation
                    .responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
            }
        }
        // A new key's answer holds its secret, which is never stored for a replay.
        let replayable = !path.starts_with("/v1/api-keys");
        if let Some(operation) = item.post.as_mut().filter(|_| replayable) {
            operation
                .parameters
                .get_or_insert_with(Vec::new)
                .push(idempotency_key_parameter());
        }
    }
    add_response_headers(&mut spec);
    add_vary_headers(&mut spec);
    add_create_links(&mut spec);
    explode_array_filters(&mut spec);
    set_public_url(&mut spec, crate::config::DEFAULT_PUBLIC_URL);
    spec
}

/// Whether an operation's 200 can take several media types, chosen by `Accept`.
fn negotiates(operation: &Operation) -> bool {
    matches!(
        operation.responses.responses.get("200"),
        Some(RefOr::T(ok)) if ok.content.len() > 1
    )
}

/// `Vary: Accept` on the 200 and 304 of every `/v1` operation whose 200 takes several media
/// types (`http::listed_in` sends it).
fn add_vary_headers(spec: &mut OpenApiDoc) {
    let vary = HeaderBuilder::new()
        .schema(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(r"^(.*,\s*)?Accept(\s*,.*)?$"))
                .examples(["Accept", "Accept, Origin"]),
        )
        .description(Some(
            "Names `Accept`: the representation depends on it, so caches keep each media type \
apart (each has its own `ETag`); with CORS enabled it also names `Origin` and the preflight's \
request headers.",
        ))
        .build();
    for (path, item) in spec.paths.paths.iter_mut() {
        if !path.starts_with("/v1/") {
            continue;
        }
        for (_, operation) in operations_mut(item) {
            if !negotiates(operation) {
                continue;
            }
            for status in ["200", "304"] {
                if let Some(RefOr::T(response)) = operation.responses.responses.get_mut(status) {
                    response.headers.insert("Vary".to_owned(), vary.clone());
                }
            }
        }
    }
}

/// Every operation of a path item, with its method.
fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("get", item.get.as_mut()),
        ("put", item.put.as_mut()),
        ("post", item.post.as_mut()),
        ("patch", item.patch.as_mut()),
        ("delete", item.delete.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.map(|operation| (method, operation)))
}

/// The name of the shared schema of `X-Request-Id` values.
const REQUEST_ID_SCHEMA: &str = "RequestId";

/// `X-Request-Id`, which the service sends on every response.
fn request_id_header() -> Header {
    HeaderBuilder::new()
        .schema(Ref::from_schema_name(REQUEST_ID_SCHEMA))
        .description(Some(
            "The request's id: the `X-Request-Id` the request carried when it is 1 to 128 \
letters, digits, `-`, `_`, `.` or `:`, else one the service generated (a UUID). It is also \
in the problem document's `request_id` and in every log line of the request.",
        ))
        .build()
}

/// `Idempotent-Replayed`, on the answers a POST can replay.
fn replayed_header() -> Header {
    HeaderBuilder::new()
        .schema(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some([REPLAYED_VALUE])),
        )
        .description(Some(
            "`true` when this is the stored answer to an earlier request with the same \
`Idempotency-Key` (nothing was written this time); absent on a first answer.",
        ))
        .build()
}

/// The value `Idempotent-Replayed` takes.
const REPLAYED_VALUE: &str = "true";

/// Declares the headers the service's layers add to responses: `X-Request-Id` on every
/// response of every operation (and on every shared response), `Idempotent-Replayed` on
/// every POST's success, `RateLimit` and `RateLimit-Policy` on every response of an
/// operation the rate limits count (and on every shared response but the CORS refusal,
/// which is answered before them).
fn add_response_headers(spec: &mut OpenApiDoc) {
    let request_id = request_id_header();
    let rate_limit = rate_limit_headers();
    for (path, item) in spec.paths.paths.iter_mut() {
        let limited = !crate::http::limits::exempt(path);
        for (method, operation) in operations_mut(item) {
            for (status, response) in operation.responses.responses.iter_mut() {
                let RefOr::T(response) = response else {
                    continue;
                };
                response
                    .headers
                    .insert(REQUEST_ID_HEADER_NAME.to_owned(), request_id.clone());
                if limited {
                    response.headers.extend(rate_limit.clone());
                }
                if method == "post" && status.starts_with('2') {
                    response
                        .headers
                        .insert(REPLAYED_HEADER_NAME.to_owned(), replayed_header());
                }
            }
        }
    }
    let components = spec.components.get_or_insert_with(Default::default);
    for (name, response) in components.responses.iter_mut() {
        if let RefOr::T(response) = response {
            response
                .headers
                .insert(REQUEST_ID_HEADER_NAME.to_owned(), request_id.clone());
            if name != "CorsRefused" {
                response.headers.extend(rate_limit.clone());
            }
        }
    }
    components.schemas.insert(
        RATE_LIMIT_SCHEMA.to_owned(),
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(r#"^"(caller|address)";r=[0-9]+;t=[0-9]+$"#))
            .description(Some(
                "A `RateLimit` value: the quota's name (`caller` for an API key or token, \
`address` for requests without valid credentials), `r` the requests still allowed now, `t` \
the seconds until the quota is whole again (on a 429: until the next request is let through, \
as `Retry-After`).",
            ))
            .examples([r#""caller";r=5999;t=1"#])
            .into(),
    );
    components.schemas.insert(
        RATE_LIMIT_POLICY_SCHEMA.to_owned(),
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(r#"^"(caller|address)";q=[0-9]+;w=60$"#))
            .description(Some(
                "A `RateLimit-Policy` value: the quota's name, `q` the requests it allows per \
window, `w` the window in seconds.",
            ))
            .examples([r#""caller";q=6000;w=60"#])
            .into(),
    );
    components.schemas.insert(
        REQUEST_ID_SCHEMA.to_owned(),
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(128))
            .pattern(Some("^[A-Za-z0-9._:-]{1,128}$"))
            .description(Some("A request id, as `X-Request-Id` carries it."))
            .examples(["0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f71"])
            .into(),
    );
}

/// The names of the shared schemas of `RateLimit` and `RateLimit-Policy` values.
const RATE_LIMIT_SCHEMA: &str = "RateLimit";
const RATE_LIMIT_POLICY_SCHEMA: &str = "RateLimitPolicy";

/// `RateLimit` and `RateLimit-Policy`, on every response of a counted request while its
/// limit is on.
fn rate_limit_headers() -> [(String, Header); 2] {
    use crate::http::limits::{POLICY_HEADER, STATE_HEADER};
    [
        (
            STATE_HEADER.to_owned(),
            HeaderBuilder::new()
                .schema(Ref::from_schema_name(RATE_LIMIT_SCHEMA))
                .description(Some(
                    "What is left of the caller's quota (see `RateLimit-Policy`). Sent on \
every response of every path but `/healthz`, `/readyz` and `/metrics` while the limit that \
counts the request is on.",
                ))
                .build(),
        ),
        (
            POLICY_HEADER.to_owned(),
            HeaderBuilder::new()
                .schema(Ref::from_schema_name(RATE_LIMIT_POLICY_SCHEMA))
                .description(Some(
                    "The quota that counts the request: per API key or token (`caller`, \
`LABNET_RATE_LIMIT_PER_KEY`) or, without valid credentials, per client address (`address`, \
`LABNET_RATE_LIMIT_ANONYMOUS`).",
                ))
                .build(),
        ),
    ]
}

/// The response headers' names as the spec spells them.
const REQUEST_ID_HEADER_NAME: &str = "X-Request-Id";
const REPLAYED_HEADER_NAME: &str = "Idempotent-Replayed";

/// Links from each create's 201 to what can be done next with what it created, derived from
/// the paths so that none can be missed or drift:
///
/// - a POST on a collection (`/v1/things`) links to every operation on `/v1/things/{id}` and
///   below, with `id` from the created resource (`$response.body#/id`);
/// - a POST below an item (`/v1/things/{id}/changes`) links to every other operation on
///   `/v1/things/{id}` and below, with the same `id` (`$request.path.id`).
fn add_create_links(spec: &mut OpenApiDoc) {
    let mut targets: Vec<(String, String)> = Vec::new();
    for (path, item) in spec.paths.paths.iter_mut() {
        for (_, operation) in operations_mut(item) {
            if let Some(operation_id) = &operation.operation_id {
                targets.push((path.clone(), operation_id.clone()));
            }
        }
    }
    for (path, item) in spec.paths.paths.iter_mut() {
        let Some(operation) = item.post.as_mut() else {
            continue;
        };
        let own_id = operation.operation_id.clone().unwrap_or_default();
        let (item_path, id_source, description): (_, _, fn(&str) -> String) =
            match path.find("/{id}") {
                Some(at) => (
                    path[..at + "/{id}".len()].to_owned(),
                    "$request.path.id",
                    |target| format!("`{target}` on the same resource (the `id` of this path)"),
                ),
                None => (format!("{path}/{{id}}"), "$response.body#/id", |target| {
                    format!("`{target}` on the created resource (its `id`)")
                }),
            };
        let Some(RefOr::T(created)) = operation.responses.responses.get_mut("201") else {
            continue;
        };
        let mut links = serde_json::Map::new();
        for (target_path, target_id) in &targets {
            let below =
                target_path == &item_path || target_path.starts_with(&format!("{item_path}/"));
            if !below || *target_id == own_id {
                continue;
            }
            links.insert(
                target_id.clone(),
                serde_json::json!({
                    "operationId": target_id,
                    "parameters": {"id": id_source},
                    "description": description(target_id),
                }),
            );
        }
        // utoipa 5.5 writes a `Link`'s members in snake_case (`operation_id`), which no
        // OpenAPI tool reads; the links go in as plain JSON under the `links` key instead.
        if !links.is_empty() {
            created
                .extensions
                .get_or_insert_with(Default::default)
                .insert("links".to_owned(), serde_json::Value::Object(links));
        }
    }
}

/// Multi-valued filters are declared as arrays sent as repeated keys (`form`, exploded:
/// `status=a&status=b`), which is what generated clients send by default; the service also
/// takes `status=a,b`.
fn explode_array_filters(spec: &mut OpenApiDoc) {
    for item in spec.paths.paths.values_mut() {
        for (_, operation) in operations_mut(item) {
            for parameter in operation.parameters.iter_mut().flatten() {
                let array = matches!(&parameter.schema, Some(RefOr::T(Schema::Array(_))));
                if array && parameter.parameter_in == ParameterIn::Query {
                    parameter.style = Some(ParameterStyle::Form);
                    parameter.explode = Some(true);
                }
            }
        }
    }
}

/// Names the service's base URL in `servers`, so generated clients have it. The committed
/// document names the default (`config::DEFAULT_PUBLIC_URL`); a server configured with
/// `LABNET_PUBLIC_URL` serves its own.
pub fn set_public_url(spec: &mut OpenApiDoc, url: &str) {
    spec.servers = Some(vec![ServerBuilder::new()
        .url(url)
        .description(Some(
            "The service's address (`LABNET_PUBLIC_URL`; by default the local address a \
development server listens on)",
        ))
        .build()]);
}

/// Puts each state machine's table where a description says `{moves:Name}`, so the tables
/// clients read are the ones the guards use.
fn expand_state_tables(spec: &mut OpenApiDoc) {
    for item in spec.paths.paths.values_mut() {
        let operations = [
            item.get.as_mut(),
            item.post.as_mut(),
            item.patch.as_mut(),
            item.delete.as_mut(),
        ];
        for operation in operations.into_iter().flatten() {
            if let Some(description) = operation.description.as_mut() {
                *description = expand_moves(description);
            }
        }
    }
    if let Some(components) = spec.components.as_mut() {
        for schema in components.schemas.values_mut() {
            if let RefOr::T(Schema::Object(object)) = schema {
                if let Some(description) = object.description.as_mut() {
                    *description = expand_moves(description);
                }
            }
        }
    }
}

/// The enumerations `Problem` refers to: `ProblemType` (its `type`) and `StateName`
/// (`current_state`, `allowed_transitions`), both generated from the service's tables.
fn add_problem_schemas(spec: &mut OpenApiDoc) {
    use crate::http::problem;
    let schemas = &mut spec.components.get_or_insert_with(Default::default).schemas;
    schemas.insert(
        problem::PROBLEM_TYPE_SCHEMA.to_owned(),
        RefOr::T(problem::problem_type_uri_schema()),
    );
    schemas.insert(
        problem::STATE_NAME_SCHEMA.to_owned(),
        RefOr::T(problem::state_name_schema()),
    );
}

/// The `id` path parameter of a resource, as the spec documents it.
pub fn id_parameter(resource: &str) -> Parameter {
    let mut label: String = resource
        .chars()
        .take(1)
        .flat_map(char::to_uppercase)
        .collect();
    label.extend(resource.chars().skip(1));
    ParameterBuilder::new()
        .name("id")
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some(format!("{label} id (UUID)")))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid))),
        ))
        .build()
}

fn idempotency_key_parameter() -> Parameter {
    ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Makes the POST safe to retry: once a request with this key has written, the same \
key with the same request (method, path, query and body) within 24 hours returns the first \
response again, with `Idempotent-Replayed: true`, and writes nothing; the same key with a \
different request is refused with 422. The response is stored in the same transaction as \
the write, so a key either has its response or nothing was written. A request that was \
refused (4xx) or failed (5xx) wrote nothing and stores nothing: its retry is processed \
afresh. A retry sent while the first request is still writing waits for it and then gets \
its response. Any 1 to 255 visible ASCII characters; a fresh UUID per logical request is a \
good key.",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(255))
                .pattern(Some("^[!-~]{1,255}$")),
        ))
        .build()
}

/// The complete document, exactly as the server serves it at `/openapi.json`.
pub fn spec() -> OpenApiDoc {
    let (_, spec) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(base())
        .configure(crate::configure_api)
        .split_for_parts();
    finish(spec)
}

/// The document as committed in `openapi/openapi.json` (pretty JSON, trailing newline).
pub fn spec_json() -> Result<String, serde_json::Error> {
    spec().to_pretty_json().map(|mut json| {
        json.push('\n');
        json
    })
}
