//! JWT bearer tokens from an identity provider. A token is accepted when its signature
//! verifies (HS256 with the shared secret, RS256 with the PEM key or a key of the
//! provider's JWKS), its `iss` and `aud` are the configured ones, `exp` has not passed,
//! `nbf` has, and `sub` names the caller; its claims then give the caller's role and
//! region scope. Verifying never waits on the network: the JWKS is fetched at start and
//! refreshed by a background task, and requests read the keys it last stored.

use std::io::Read;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use base64::alphabet::URL_SAFE;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use tokio::sync::Notify;

use crate::config::Settings;
use crate::core::auth::{Actor, ActorKind, Caller, Role, Scope};
use crate::core::error::DomainError;
use crate::regions::model::RegionId;

/// Longest accepted token, in bytes; longer ones get 401 before anything is decoded.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;
/// Largest JWKS document read; a larger one is refused and the keys held before are kept.
pub const MAX_JWKS_BYTES: usize = 1024 * 1024;
/// Most keys a JWKS document may list.
pub const MAX_JWKS_KEYS: usize = 64;
/// How long one JWKS fetch may take in all (connecting, redirects, the body).
pub const JWKS_TIMEOUT: Duration = Duration::from_secs(5);
/// Least time between two fetches asked for by tokens naming an unknown `kid`, and between
/// the retries of a failing fetch: a stream of made-up key ids cannot flood the provider.
pub const JWKS_REFETCH_INTERVAL: Duration = Duration::from_secs(30);
/// Longest accepted `sub`, in characters (the audit trail records it).
pub const MAX_SUBJECT_CHARS: usize = 255;
/// RSA key sizes accepted, in bits: smaller keys are forgeable, larger ones are refused by
/// the RSA implementation.
const MIN_RSA_BITS: usize = 2048;
const MAX_RSA_BITS: usize = 4096;
/// Largest PEM file read.
const MAX_PEM_BYTES: u64 = 64 * 1024;
/// A `name` claim is cut to this many characters.
const MAX_NAME_CHARS: usize = 200;

/// Base64url as JWKs use it; some providers pad it, which changes nothing.
const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// What the bearer security scheme of the OpenAPI document says about tokens.
pub const JWT_DESCRIPTION: &str = "Besides an API key (which starts with `lnk_`), the \
bearer credential may be a JWT from the identity provider the server is configured with. \
It must be signed with HS256 or RS256 (any other `alg`, `none` included, is refused), carry \
the configured `iss` and an `aud` that includes the configured audience, an `exp` that has \
not passed and a `nbf`, if any, that has (both with a small clock-skew leeway), and a `sub` \
naming the caller; RS256 tokens from a JWKS name their key in `kid`. The claims give the \
caller's role and scope (their names are configurable; the defaults are shown): \
`labnet_role` holds `reader`, `editor` or `admin`, or values the server maps to them, as a \
string or an array of strings (the highest role wins); `labnet_regions`, an array of region \
ids, limits writes to those regions and their subregions, and `labnet_global` (`true` or \
`false`) allows writes to rows in no region; without `labnet_regions` the token's writes \
are not limited to regions. A token that fails any check, or names no known role, gets 401 \
with `error=\"invalid_token\"` in `WWW-Authenticate`; tokens are at most 8192 bytes.";

/// Verifies JWT bearer tokens with the configured keys and maps their claims to callers.
pub struct JwtVerifier {
    hs256: Option<DecodingKey>,
    hs256_rules: Validation,
    rs256_rules: Validation,
    pem: Option<DecodingKey>,
    jwks: Option<Arc<Jwks>>,
    claims: ClaimNames,
    /// `None`: the role claim holds labnet's own role names.
    role_map: Option<std::collections::HashMap<String, Role>>,
    /// The JWKS refresh task, stopped with the verifier.
    refresher: Option<tokio::task::AbortHandle>,
}

struct ClaimNames {
    role: String,
    regions: String,
    global: String,
}

impl JwtVerifier {
    /// None when no JWT settings are given; Err(String) for inconsistent settings (the
    /// server refuses to start). With `LABNET_JWT_JWKS_URL`, the key set is fetched before
    /// this returns; a failed fetch is logged and retried in the background (tokens that
    /// need its keys get 401 meanwhile), so an unreachable provider does not stop the
    /// service. Call it within a tokio runtime (the refresh task is spawned on it).
    pub async fn start(settings: &Settings) -> Result<Option<Arc<JwtVerifier>>, String> {
        let Some(mut verifier) = JwtVerifier::from_settings(settings)? else {
            return Ok(None);
        };
        if !settings.jwt_jwks_url.is_empty() {
            let jwks = Arc::new(Jwks::new(&settings.jwt_jwks_url)?);
            let fetched = jwks.refresh().await;
            let every = Duration::from_secs(settings.jwt_jwks_refresh);
            let task = tokio::spawn(refresh_loop(Arc::clone(&jwks), every, fetched));
            verifier.refresher = Some(task.abort_handle());
            verifier.jwks = Some(jwks);
        }
        Ok(Some(Arc::new(verifier)))
    }

    /// Everything but the JWKS, which needs a runtime to be fetched.
    fn from_settings(settings: &Settings) -> Result<Option<JwtVerifier>, String> {
        settings.check_jwt()?;
        if !settings.jwt_enabled() {
            return Ok(None);
        }
        let rules = |alg: Algorithm| {
            let mut rules = Validation::new(alg);
            rules.algorithms = vec![alg];
            rules.leeway = settings.jwt_leeway;
            rules.validate_exp = true;
            rules.validate_nbf = true;
            rules.set_issuer(&[&settings.jwt_issuer]);
            rules.set_audience(&[&settings.jwt_audience]);
            rules.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
            rules
        };
        let secret = settings.jwt_hs256_secret.expose();
        let hs256 = if secret.is_empty() {
            None
        } else {
            Some(
                DecodingKey::from_secret(secret.as_bytes())
                    .map_err(|e| format!("LABNET_JWT_HS256_SECRET: {e}"))?,
            )
        };
        let pem = if settings.jwt_public_key_file.is_empty() {
            None
        } else {
            Some(read_pem_key(&settings.jwt_public_key_file)?)
        };
        let role_map = settings.jwt_role_map()?;
        Ok(Some(JwtVerifier {
            hs256,
            hs256_rules: rules(Algorithm::HS256),
            rs256_rules: rules(Algorithm::RS256),
            pem,
            jwks: None,
            claims: ClaimNames {
                role: settings.jwt_role_claim.clone(),
                regions: settings.jwt_regions_claim.clone(),
                global: settings.jwt_global_claim.clone(),
            },
            role_map: (!role_map.is_empty()).then(|| role_map.into_iter().collect()),
            refresher: None,
        }))
    }

    /// Verifies a bearer token and maps its claims to a caller. Sync and fast (no network
    /// on this path). Every refusal is 401 `invalid_token` with a short reason that never
    /// repeats the token, a valid token whose role claim names no known role included
    /// (the token, not the request, is what is wrong with it).
    pub fn verify(&self, token: &str) -> Result<Caller, DomainError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(refused(format!(
                "the token is longer than {MAX_TOKEN_BYTES} bytes"
            )));
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| malformed_header(token))?;
        let decoded = match header.alg {
            Algorithm::HS256 => {
                let Some(key) = &self.hs256 else {
                    return Err(refused("HS256 tokens are not accepted here"));
                };
                jsonwebtoken::decode::<Map<String, Value>>(token, key, &self.hs256_rules)
            }
            Algorithm::RS256 => {
                let key = self.rs256_key(header.kid.as_deref())?;
                jsonwebtoken::decode::<Map<String, Value>>(token, &key, &self.rs256_rules)
            }
            other => {
                return Err(refused(format!(
                    "tokens signed with {other:?} are not accepted: only HS256 and RS256"
                )))
            }
        };
        let claims = decoded.map_err(rejection)?.claims;
        self.caller(&claims)
    }

    /// The key of an RS256 token: the JWKS key its `kid` names, else the PEM key; without
    /// a `kid`, the PEM key, or the JWKS's key when it holds exactly one.
    fn rs256_key(&self, kid: Option<&str>) -> Result<DecodingKey, DomainError> {
        if let Some(jwks) = &self.jwks {
            let set = jwks.keys();
            match kid {
                Some(kid) => {
                    if let Some(key) = set.find(kid) {
                        return Ok(key.clone());
                    }
                    // A new key the provider has rotated in: fetch the set again soon (this
                    // request still gets 401, it does not wait for the fetch).
                    jwks.ask_refresh();
                    if self.pem.is_none() {
                        return Err(refused(if set.keys.is_empty() {
                            "the identity provider's keys have not been fetched yet"
                        } else {
                            "the token's key id (kid) names no key of the identity provider"
                        }));
                    }
                }
                None if self.pem.is_none() => {
                    return match set.keys.as_slice() {
                        [(_, key)] => Ok(key.clone()),
                        _ => Err(refused("the token names no key id (kid)")),
                    };
                }
                None => {}
            }
        }
        self.pem
            .clone()
            .ok_or_else(|| refused("RS256 tokens are not accepted here"))
    }

    fn caller(&self, claims: &Map<String, Value>) -> Result<Caller, DomainError> {
        let id = match claims.get("sub") {
            Some(Value::String(sub))
                if !sub.is_empty() && sub.chars().count() <= MAX_SUBJECT_CHARS =>
            {
                sub.clone()
            }
            _ => {
                return Err(refused(format!(
                    "the token's `sub` must be a string of 1 to {MAX_SUBJECT_CHARS} characters"
                )))
            }
        };
        let name = claims
            .get("name")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(|name| name.chars().take(MAX_NAME_CHARS).collect());
        Ok(Caller {
            actor: Actor {
                kind: ActorKind::Token,
                id,
                name,
            },
            role: Some(self.role(claims)?),
            scope: self.scope(claims)?,
        })
    }

    /// The highest role the role claim's values give.
    fn role(&self, claims: &Map<String, Value>) -> Result<Role, DomainError> {
        let claim = &self.claims.role;
        let values: Vec<&str> = match lookup(claims, claim) {
            None => {
                return Err(refused(format!(
                    "the token has no `{claim}` claim naming the caller's role"
                )))
            }
            Some(Value::String(value)) => vec![value.as_str()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            Some(_) => {
                return Err(refused(format!(
                    "the token's `{claim}` claim must be a string or an array of strings"
                )))
            }
        };
        let role = values
            .into_iter()
            .filter_map(|value| match &self.role_map {
                Some(map) => map.get(value).copied(),
                None => value.parse().ok(),
            })
            .max();
        role.ok_or_else(|| {
            refused(match self.role_map {
                Some(_) => format!("the token's `{claim}` claim holds no value mapped to a role"),
                None => {
                    format!("the token's `{claim}` claim names no role: reader, editor or admin")
                }
            })
        })
    }

    /// Where the caller may write: the regions claim's ids, or every region without it.
    /// A regions claim that is there but not an array of UUIDs (`null` included) is
    /// refused rather than read as "every region".
    fn scope(&self, claims: &Map<String, Value>) -> Result<Scope, DomainError> {
        let (regions_claim, global_claim) = (&self.claims.regions, &self.claims.global);
        let global = match lookup(claims, global_claim) {
            None => false,
            Some(Value::Bool(global)) => *global,
            Some(_) => {
                return Err(refused(format!(
                    "the token's `{global_claim}` claim must be true or false"
                )))
            }
        };
        let Some(regions) = lookup(claims, regions_claim) else {
            return Ok(Scope::everything());
        };
        let bad_regions = || {
            refused(format!(
                "the token's `{regions_claim}` claim must be an array of region ids (UUIDs)"
            ))
        };
        let Value::Array(items) = regions else {
            return Err(bad_regions());
        };
        let mut ids = items
            .iter()
            .map(|item| {
                item.as_str()
                    .and_then(|text| uuid::Uuid::try_parse(text).ok())
                    .map(RegionId)
                    .ok_or_else(bad_regions)
            })
            .collect::<Result<Vec<_>, _>>()?;
        ids.sort_unstable();
        ids.dedup();
        Ok(Scope {
            regions: Some(ids),
            global,
        })
    }
}

impl crate::http::auth::TokenVerifier for JwtVerifier {
    fn verify(&self, token: &str) -> Result<Caller, DomainError> {
        JwtVerifier::verify(self, token)
    }
}

impl Drop for JwtVerifier {
    fn drop(&mut self) {
        if let Some(task) = &self.refresher {
            task.abort();
        }
    }
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("issuer", &self.rs256_rules.iss)
            .field("audience", &self.rs256_rules.aud)
            .field("hs256", &self.hs256.is_some())
            .field("pem", &self.pem.is_some())
            .field("jwks", &self.jwks.as_ref().map(|jwks| &jwks.url))
            .finish_non_exhaustive()
    }
}

/// A claim by name; a name with dots that is not itself a claim reaches into nested
/// objects (`realm_access.roles`), as some providers nest their role lists.
fn lookup<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    if let Some(value) = claims.get(name) {
        return Some(value);
    }
    if !name.contains('.') {
        return None;
    }
    let mut parts = name.split('.');
    let first = claims.get(parts.next()?)?;
    parts.try_fold(first, |value, part| value.as_object()?.get(part))
}

fn refused(detail: impl Into<String>) -> DomainError {
    DomainError::bad_credentials(detail)
}

/// Why a token's header could not be read; names the algorithm when that is the reason
/// (`none`, most often), and only when it is a short plain word.
fn malformed_header(token: &str) -> DomainError {
    let alg = token
        .split('.')
        .next()
        .and_then(|header| BASE64URL.decode(header).ok())
        .and_then(|header| serde_json::from_slice::<Value>(&header).ok())
        .and_then(|header| header.get("alg")?.as_str().map(str::to_owned));
    match alg {
        Some(alg)
            if alg.len() <= 16
                && alg.chars().all(|c| c.is_ascii_alphanumeric())
                && !matches!(alg.as_str(), "HS256" | "RS256") =>
        {
            refused(format!(
                "tokens signed with `{alg}` are not accepted: only HS256 and RS256"
            ))
        }
        _ => refused("the token is not a well-formed JWT"),
    }
}

/// The 401 of a token that failed decoding or validation.
fn rejection(error: jsonwebtoken::errors::Error) -> DomainError {
    refused(match error.kind() {
        ErrorKind::ExpiredSignature => "the token has expired".to_owned(),
        ErrorKind::ImmatureSignature => "the token is not valid yet (nbf)".to_owned(),
        ErrorKind::InvalidIssuer => "the token's issuer (iss) is not accepted".to_owned(),
        ErrorKind::InvalidAudience => {
            "the token's audience (aud) does not include this service".to_owned()
        }
        ErrorKind::InvalidSignature => "the token's signature does not verify".to_owned(),
        ErrorKind::InvalidAlgorithm => "the token's algorithm does not fit its key".to_owned(),
        ErrorKind::MissingRequiredClaim(claim) => {
            format!(
                "the token has no `{}` claim",
                crate::core::error::echo(claim)
            )
        }
        ErrorKind::InvalidClaimFormat(claim) => {
            format!(
                "the token's `{}` claim is malformed",
                crate::core::error::echo(claim)
            )
        }
        ErrorKind::InvalidToken
        | ErrorKind::Base64(_)
        | ErrorKind::Json(_)
        | ErrorKind::Utf8(_) => "the token is not a well-formed JWT".to_owned(),
        other => {
            tracing::debug!(error = ?other, "JWT refused");
            "the token cannot be verified".to_owned()
        }
    })
}

/// Reads the RSA public key of `LABNET_JWT_PUBLIC_KEY_FILE`. Its modulus and exponent are
/// taken out here, so a private key, a certificate or a key of the wrong size is refused
/// at start rather than failing every token.
fn read_pem_key(path: &str) -> Result<DecodingKey, String> {
    let refuse = |why: String| format!("LABNET_JWT_PUBLIC_KEY_FILE {path}: {why}");
    let file = std::fs::File::open(path).map_err(|e| refuse(e.to_string()))?;
    let mut pem = Vec::new();
    file.take(MAX_PEM_BYTES + 1)
        .read_to_end(&mut pem)
        .map_err(|e| refuse(e.to_string()))?;
    if pem.len() as u64 > MAX_PEM_BYTES {
        return Err(refuse(format!("larger than {MAX_PEM_BYTES} bytes")));
    }
    let not_public = |e: jsonwebtoken::errors::Error| {
        refuse(format!(
            "holds no RSA public key in PEM (`PUBLIC KEY` or `RSA PUBLIC KEY`): {e}"
        ))
    };
    let key = DecodingKey::from_rsa_pem(&pem).map_err(not_public)?;
    let jwk = Jwk::from_decoding_key(&key, Some(Algorithm::RS256)).map_err(not_public)?;
    match &jwk.algorithm {
        AlgorithmParameters::RSA(rsa) => {
            let decode = |part: &str| BASE64URL.decode(part).map_err(|e| refuse(e.to_string()));
            rsa_key(&decode(&rsa.n)?, &decode(&rsa.e)?).map_err(refuse)
        }
        _ => Err(refuse("holds no RSA public key".to_owned())),
    }
}

/// An RS256 key from its modulus and exponent (big-endian), within the accepted sizes.
fn rsa_key(modulus: &[u8], exponent: &[u8]) -> Result<DecodingKey, String> {
    let modulus = match modulus.iter().position(|byte| *byte != 0) {
        Some(first) => &modulus[first..],
        None => &[],
    };
    let bits = match modulus.first() {
        Some(top) => (modulus.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
        None => 0,
    };
    if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
        return Err(format!(
            "a {bits}-bit RSA key; keys of {MIN_RSA_BITS} to {MAX_RSA_BITS} bits are accepted"
        ));
    }
    if exponent.is_empty() || exponent.len() > 8 {
        return Err("an RSA key with an implausible exponent".to_owned());
    }
    Ok(DecodingKey::from_rsa_raw_components(modulus, exponent))
}

/// The provider's JWKS: where it comes from and the keys last fetched.
struct Jwks {
    url: String,
    client: reqwest::Client,
    keys: RwLock<Arc<KeySet>>,
    /// Wakes the refresh task early (a token named an unknown `kid`).
    wake: Notify,
    /// When a token last woke it.
    woken: Mutex<Option<Instant>>,
}

/// The RS256 keys of one JWKS document, with their key ids.
#[derive(Default)]
struct KeySet {
    keys: Vec<(Option<String>, DecodingKey)>,
    /// Keys of the document that are not RS256 signing keys (or not usable).
    skipped: usize,
}

impl KeySet {
    fn find(&self, kid: &str) -> Option<&DecodingKey> {
        self.keys
            .iter()
            .find(|(id, _)| id.as_deref() == Some(kid))
            .map(|(_, key)| key)
    }
}

impl Jwks {
    fn new(url: &str) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(JWKS_TIMEOUT)
            .connect_timeout(JWKS_TIMEOUT)
            .redirect(reqwest::redirect::Policy::limited(3))
            .user_agent(concat!("labnet/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("LABNET_JWT_JWKS_URL: no HTTP client: {}", chain(&e)))?;
        Ok(Jwks {
            url: url.to_owned(),
            client,
            keys: RwLock::new(Arc::new(KeySet::default())),
            wake: Notify::new(),
            woken: Mutex::new(None),
        })
    }

    /// The keys last fetched. A lock poisoned by a panicking writer still holds a whole
    /// key set (the writer only swaps an `Arc`), so it is read on.
    fn keys(&self) -> Arc<KeySet> {
        let keys = self.keys.read().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(&keys)
    }

    /// Asks the refresh task for a fetch, at most once per `JWKS_REFETCH_INTERVAL`.
    fn ask_refresh(&self) {
        let mut woken = self.woken.lock().unwrap_or_else(PoisonError::into_inner);
        if woken.is_none_or(|at| at.elapsed() >= JWKS_REFETCH_INTERVAL) {
            *woken = Some(Instant::now());
            self.wake.notify_one();
        }
    }

    /// Fetches the key set and stores it; on failure keeps the keys held before (a
    /// provider's brief outage must not lock every caller out). Whether it succeeded.
    async fn refresh(&self) -> bool {
        match fetch(&self.client, &self.url).await {
            Ok(set) => {
                tracing::info!(
                    url = %self.url,
                    keys = set.keys.len(),
                    skipped = set.skipped,
                    "JWKS fetched"
                );
                let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
                *keys = Arc::new(set);
                true
            }
            Err(error) => {
                tracing::warn!(
                    url = %self.url,
                    %error,
                    "JWKS not fetched: tokens signed with keys it would add get 401; retrying"
                );
                false
            }
        }
    }
}

/// Refreshes the key set every `every`, early when a token asks for it, and every
/// `JWKS_REFETCH_INTERVAL` while fetches fail. Runs until the verifier is dropped.
async fn refresh_loop(jwks: Arc<Jwks>, every: Duration, mut fetched: bool) {
    loop {
        let wait = if fetched {
            every
        } else {
            every.min(JWKS_REFETCH_INTERVAL)
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = jwks.wake.notified() => {}
        }
        fetched = jwks.refresh().await;
    }
}

async fn fetch(client: &reqwest::Client, url: &str) -> Result<KeySet, String> {
    let mut response = client
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| chain(&e))?;
    if !response.status().is_success() {
        return Err(format!("the server answered {}", response.status()));
    }
    let too_large = || format!("the document is larger than {MAX_JWKS_BYTES} bytes");
    if response
        .content_length()
        .is_some_and(|length| length > MAX_JWKS_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| chain(&e))? {
        if body.len() + chunk.len() > MAX_JWKS_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    parse_jwks(&body)
}

/// The RS256 signing keys of a JWKS document. Keys of other types, for other uses or
/// algorithms, or of unaccepted sizes are skipped, so a provider that also publishes
/// EC or encryption keys works; symmetric (`oct`) keys are never taken from a JWKS.
fn parse_jwks(body: &[u8]) -> Result<KeySet, String> {
    #[derive(serde::Deserialize)]
    struct Document {
        keys: Vec<Value>,
    }
    let document: Document =
        serde_json::from_slice(body).map_err(|e| format!("the document is no JWKS: {e}"))?;
    if document.keys.len() > MAX_JWKS_KEYS {
        return Err(format!(
            "the document lists {} keys, more than {MAX_JWKS_KEYS}",
            document.keys.len()
        ));
    }
    let mut set = KeySet::default();
    for value in document.keys {
        let key = serde_json::from_value::<Jwk>(value)
            .ok()
            .and_then(|jwk| Some((jwk.common.key_id.clone(), rs256_key(&jwk)?)));
        match key {
            // The first of two keys with one id wins, so a later one cannot shadow it.
            Some((Some(kid), _)) if set.find(&kid).is_some() => set.skipped += 1,
            Some(key) => set.keys.push(key),
            None => set.skipped += 1,
        }
    }
    if set.keys.is_empty() {
        return Err("the document holds no RSA key for RS256 signatures".to_owned());
    }
    Ok(set)
}

fn rs256_key(jwk: &Jwk) -> Option<DecodingKey> {
    let AlgorithmParameters::RSA(rsa) = &jwk.algorithm else {
        return None;
    };
    let common = &jwk.common;
    if common
        .public_key_use
        .as_ref()
        .is_some_and(|usage| *usage != PublicKeyUse::Signature)
        || common
            .key_algorithm
            .is_some_and(|alg| alg != KeyAlgorithm::RS256)
    {
        return None;
    }
    let modulus = BASE64URL.decode(&rsa.n).ok()?;
    let exponent = BASE64URL.decode(&rsa.e).ok()?;
    rsa_key(&modulus, &exponent).ok()
}

/// An error with its causes (reqwest's own message names only the URL).
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::json;

    use super::*;
    use crate::config::Secret;

    const SECRET: &str = "a-shared-secret-of-at-least-32-bytes";
    const ISSUER: &str = "https://idp.example/realms/labnet";
    const AUDIENCE: &str = "labnet";
    const PRIVATE_KEY: &str = include_str!("../../tests/fixtures/jwt-rs256-private.pem");
    const OTHER_PRIVATE_KEY: &str =
        include_str!("../../tests/fixtures/jwt-rs256-other-private.pem");
    const PUBLIC_KEY_FILE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/jwt-rs256-public.pem"
    );
    const REGION: &str = "0193a0f4-9d20-7c3d-9a10-2b3c4d5e6fa0";
    const OTHER_REGION: &str = "0193a0f4-9d20-7c3d-9a10-2b3c4d5e6fa1";

    fn settings() -> Settings {
        Settings {
            jwt_issuer: ISSUER.to_owned(),
            jwt_audience: AUDIENCE.to_owned(),
            jwt_hs256_secret: Secret(SECRET.to_owned()),
            ..Settings::default()
        }
    }

    fn verifier_with(settings: Settings) -> JwtVerifier {
        JwtVerifier::from_settings(&settings).unwrap().unwrap()
    }

    fn verifier() -> JwtVerifier {
        verifier_with(settings())
    }

    fn now() -> i64 {
        jsonwebtoken::get_current_timestamp() as i64
    }

    /// The claims of a valid token, `extra` added (a `null` removes a claim).
    fn claims(extra: Value) -> Value {
        let mut claims = json!({
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "user-42",
            "exp": now() + 600,
            "labnet_role": "editor",
        });
        for (name, value) in extra.as_object().unwrap() {
            if value.is_null() {
                claims.as_object_mut().unwrap().remove(name);
            } else {
                claims[name] = value.clone();
            }
        }
        claims
    }

    fn hs256(claims: &Value) -> String {
        hs256_with(SECRET, claims)
    }

    fn hs256_with(secret: &str, claims: &Value) -> String {
        let key = EncodingKey::from_secret(secret.as_bytes()).unwrap();
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &key).unwrap()
    }

    fn rs256(private_key: &str, kid: Option<&str>, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = kid.map(str::to_owned);
        let key = EncodingKey::from_rsa_pem(private_key.as_bytes()).unwrap();
        jsonwebtoken::encode(&header, claims, &key).unwrap()
    }

    /// A token with any header, unsigned.
    fn unsigned(header: Value, claims: &Value) -> String {
        let part = |value: &Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(serde_json::to_vec(value).unwrap())
        };
        format!("{}.{}.", part(&header), part(claims))
    }

    /// The detail of the 401 a token gets.
    fn refusal(verifier: &JwtVerifier, token: &str) -> String {
        match verifier.verify(token) {
            Err(DomainError::Unauthorized(detail)) => detail,
            other => panic!("expected a 401, got {other:?}"),
        }
    }

    #[test]
    fn a_valid_hs256_token_becomes_a_caller() {
        let token = hs256(&claims(json!({"name": "Aigerim Sadykova"})));
        let caller = verifier().verify(&token).unwrap();
        assert_eq!(
            caller,
            Caller {
                actor: Actor {
                    kind: ActorKind::Token,
                    id: "user-42".to_owned(),
                    name: Some("Aigerim Sadykova".to_owned()),
                },
                role: Some(Role::Editor),
                scope: Scope::everything(),
            }
        );
        // `aud` may be an array that includes the audience.
        let token = hs256(&claims(json!({"aud": ["other", AUDIENCE]})));
        assert_eq!(verifier().verify(&token).unwrap().actor.name, None);
    }

    #[test]
    fn a_wrong_secret_is_refused() {
        let token = hs256_with("another-secret-of-at-least-32-bytes!", &claims(json!({})));
        let detail = refusal(&verifier(), &token);
        assert!(detail.contains("signature"), "{detail}");
    }

    #[test]
    fn expired_and_premature_tokens_are_refused_beyond_the_leeway() {
        let verifier = verifier();
        let expired = hs256(&claims(json!({"exp": now() - 3600})));
        assert_eq!(refusal(&verifier, &expired), "the token has expired");
        // Within the default 30 s of skew it still passes.
        let just_expired = hs256(&claims(json!({"exp": now() - 10})));
        assert!(verifier.verify(&just_expired).is_ok());
        let premature = hs256(&claims(json!({"nbf": now() + 3600})));
        assert_eq!(
            refusal(&verifier, &premature),
            "the token is not valid yet (nbf)"
        );
        assert!(verifier
            .verify(&hs256(&claims(json!({"nbf": now() - 5}))))
            .is_ok());
        let strict = verifier_with(Settings {
            jwt_leeway: 0,
            ..settings()
        });
        assert_eq!(refusal(&strict, &just_expired), "the token has expired");
    }

    #[test]
    fn issuer_audience_expiry_and_subject_are_required() {
        let verifier = verifier();
        let wrong_aud = hs256(&claims(json!({"aud": "another-service"})));
        assert!(refusal(&verifier, &wrong_aud).contains("audience"));
        let wrong_iss = hs256(&claims(json!({"iss": "https://evil.example"})));
        assert!(refusal(&verifier, &wrong_iss).contains("issuer"));
        for claim in ["iss", "aud", "exp", "sub"] {
            let token = hs256(&claims(json!({ claim: null })));
            let detail = refusal(&verifier, &token);
            assert!(detail.contains(&format!("`{claim}`")), "{claim}: {detail}");
        }
        for sub in [json!(""), json!(42), json!("x".repeat(256))] {
            let token = hs256(&claims(json!({ "sub": sub })));
            let detail = refusal(&verifier, &token);
            assert!(detail.contains("`sub`"), "{sub}: {detail}");
        }
    }

    #[test]
    fn alg_none_and_other_algorithms_are_refused() {
        let verifier = verifier();
        let none = unsigned(json!({"alg": "none", "typ": "JWT"}), &claims(json!({})));
        assert_eq!(
            refusal(&verifier, &none),
            "tokens signed with `none` are not accepted: only HS256 and RS256"
        );
        let es256 = unsigned(json!({"alg": "ES256"}), &claims(json!({})));
        assert!(refusal(&verifier, &es256).contains("ES256"));
        // HS512 with the right secret is still not HS256.
        let key = EncodingKey::from_secret(SECRET.as_bytes()).unwrap();
        let hs512 =
            jsonwebtoken::encode(&Header::new(Algorithm::HS512), &claims(json!({})), &key).unwrap();
        assert!(refusal(&verifier, &hs512).contains("HS512"));
        // An RS256 token where only a secret is configured.
        let rs = rs256(PRIVATE_KEY, None, &claims(json!({})));
        assert_eq!(
            refusal(&verifier, &rs),
            "RS256 tokens are not accepted here"
        );
    }

    #[test]
    fn the_public_key_is_never_an_hmac_secret() {
        // The classic confusion: an HS256 token "signed" with the RSA public key's PEM.
        let verifier = verifier_with(Settings {
            jwt_hs256_secret: Secret::default(),
            jwt_public_key_file: PUBLIC_KEY_FILE.to_owned(),
            ..settings()
        });
        let pem = std::fs::read_to_string(PUBLIC_KEY_FILE).unwrap();
        let forged = hs256_with(&pem, &claims(json!({})));
        assert_eq!(
            refusal(&verifier, &forged),
            "HS256 tokens are not accepted here"
        );
    }

    #[test]
    fn malformed_and_oversized_tokens_are_refused_without_echo() {
        let verifier = verifier();
        for token in [
            "",
            "not-a-jwt",
            "a.b.c",
            "....",
            "eyJhbGciOiJIUzI1NiJ9.e30.!!",
        ] {
            assert_eq!(
                refusal(&verifier, token),
                "the token is not a well-formed JWT",
                "{token}"
            );
        }
        let secret_looking = "eyJzZWNyZXQtdGV4dC1zaG91bGQtbm90LWxlYWs.x.y";
        assert!(!refusal(&verifier, secret_looking).contains("eyJ"));
        let huge = hs256(&claims(json!({"padding": "x".repeat(MAX_TOKEN_BYTES)})));
        assert!(huge.len() > MAX_TOKEN_BYTES);
        assert_eq!(
            refusal(&verifier, &huge),
            "the token is longer than 8192 bytes"
        );
        let verifier_error = verifier.verify(&huge).unwrap_err();
        assert_eq!(
            verifier_error.problem_type().status,
            401,
            "bad tokens are 401"
        );
    }

    #[test]
    fn the_role_claim_gives_the_highest_known_role() {
        let verifier = verifier();
        let role = |value: Value| {
            verifier
                .verify(&hs256(&claims(json!({ "labnet_role": value }))))
                .map(|caller| caller.role)
        };
        assert_eq!(role(json!("reader")).unwrap(), Some(Role::Reader));
        assert_eq!(role(json!("admin")).unwrap(), Some(Role::Admin));
        assert_eq!(
            role(json!(["reader", "admin", "editor"])).unwrap(),
            Some(Role::Admin)
        );
        assert_eq!(
            role(json!(["offline_access", 7, "editor"])).unwrap(),
            Some(Role::Editor)
        );
        for unknown in [json!("superuser"), json!([]), json!(["Admin"])] {
            let Err(DomainError::Unauthorized(detail)) = role(unknown.clone()) else {
                panic!("{unknown} accepted");
            };
            assert!(detail.contains("names no role"), "{detail}");
        }
        let Err(DomainError::Unauthorized(detail)) = role(json!({"role": "admin"})) else {
            panic!("an object accepted as role");
        };
        assert!(detail.contains("string or an array"), "{detail}");
        let missing = hs256(&claims(json!({"labnet_role": null})));
        assert_eq!(
            refusal(&verifier, &missing),
            "the token has no `labnet_role` claim naming the caller's role"
        );
    }

    #[test]
    fn the_role_map_translates_the_providers_values() {
        let verifier = verifier_with(Settings {
            jwt_role_claim: "groups".to_owned(),
            jwt_role_map: "lab-admins=admin, lab-editors=editor,staff=reader".to_owned(),
            ..settings()
        });
        let role = |groups: Value| {
            verifier
                .verify(&hs256(&claims(json!({ "groups": groups }))))
                .map(|caller| caller.role)
        };
        assert_eq!(role(json!("staff")).unwrap(), Some(Role::Reader));
        assert_eq!(
            role(json!(["staff", "lab-editors"])).unwrap(),
            Some(Role::Editor)
        );
        assert_eq!(
            role(json!(["lab-admins", "staff"])).unwrap(),
            Some(Role::Admin)
        );
        // With a map, labnet's own names are just unmapped values.
        let Err(DomainError::Unauthorized(detail)) = role(json!(["admin", "visitors"])) else {
            panic!("an unmapped value accepted");
        };
        assert!(detail.contains("no value mapped to a role"), "{detail}");
    }

    #[test]
    fn a_dotted_claim_name_reaches_into_nested_claims() {
        let verifier = verifier_with(Settings {
            jwt_role_claim: "realm_access.roles".to_owned(),
            ..settings()
        });
        let nested = hs256(&claims(
            json!({"realm_access": {"roles": ["offline_access", "admin"]}}),
        ));
        assert_eq!(verifier.verify(&nested).unwrap().role, Some(Role::Admin));
        // A claim that is itself named with dots wins (namespaced claims).
        let flat = hs256(&claims(json!({"realm_access.roles": "reader"})));
        assert_eq!(verifier.verify(&flat).unwrap().role, Some(Role::Reader));
        let absent = hs256(&claims(json!({"realm_access": {"other": 1}})));
        assert!(refusal(&verifier, &absent).contains("has no `realm_access.roles`"));
    }

    #[test]
    fn the_regions_claim_limits_the_scope() {
        let verifier = verifier();
        let scope = |extra: Value| {
            verifier
                .verify(&hs256(&claims(extra)))
                .map(|caller| caller.scope)
        };
        let region = RegionId(uuid::Uuid::parse_str(REGION).unwrap());
        let other = RegionId(uuid::Uuid::parse_str(OTHER_REGION).unwrap());
        assert_eq!(scope(json!({})).unwrap(), Scope::everything());
        // Without regions, every row: `labnet_global` cannot take rows in no region away.
        assert_eq!(
            scope(json!({"labnet_global": false})).unwrap(),
            Scope::everything()
        );
        assert_eq!(
            scope(json!({"labnet_regions": [OTHER_REGION, REGION, OTHER_REGION]})).unwrap(),
            Scope {
                regions: Some(vec![region, other]),
                global: false,
            }
        );
        assert_eq!(
            scope(json!({"labnet_regions": [REGION.to_uppercase()], "labnet_global": true}))
                .unwrap(),
            Scope {
                regions: Some(vec![region]),
                global: true,
            }
        );
        assert_eq!(
            scope(json!({"labnet_regions": []})).unwrap(),
            Scope {
                regions: Some(vec![]),
                global: false,
            }
        );
    }

    #[test]
    fn a_bad_regions_or_global_claim_is_refused() {
        let verifier = verifier();
        for regions in [
            json!([REGION, "RU-KGN"]),
            json!([42]),
            json!(REGION),
            json!(null),
            json!({"id": REGION}),
        ] {
            let mut token_claims = claims(json!({}));
            token_claims["labnet_regions"] = regions.clone();
            let detail = refusal(&verifier, &hs256(&token_claims));
            assert_eq!(
                detail, "the token's `labnet_regions` claim must be an array of region ids (UUIDs)",
                "{regions}"
            );
        }
        let token = hs256(&claims(
            json!({"labnet_regions": [REGION], "labnet_global": "yes"}),
        ));
        assert_eq!(
            refusal(&verifier, &token),
            "the token's `labnet_global` claim must be true or false"
        );
    }

    #[test]
    fn rs256_tokens_verify_with_the_pem_key() {
        let verifier = verifier_with(Settings {
            jwt_public_key_file: PUBLIC_KEY_FILE.to_owned(),
            ..settings()
        });
        let token = rs256(PRIVATE_KEY, None, &claims(json!({"labnet_role": "admin"})));
        assert_eq!(verifier.verify(&token).unwrap().role, Some(Role::Admin));
        // The PEM key verifies whatever `kid` the token names.
        let with_kid = rs256(PRIVATE_KEY, Some("key-1"), &claims(json!({})));
        assert!(verifier.verify(&with_kid).is_ok());
        let other = rs256(OTHER_PRIVATE_KEY, None, &claims(json!({})));
        assert!(refusal(&verifier, &other).contains("signature"));
        // HS256 still works beside it.
        assert!(verifier.verify(&hs256(&claims(json!({})))).is_ok());
    }

    #[test]
    fn pem_files_must_hold_an_rsa_public_key() {
        let dir = tempfile::tempdir().unwrap();
        let start = |content: &str| {
            let path = dir.path().join("key.pem");
            std::fs::write(&path, content).unwrap();
            JwtVerifier::from_settings(&Settings {
                jwt_public_key_file: path.display().to_string(),
                ..settings()
            })
            .map(|_| ())
        };
        assert!(start(&std::fs::read_to_string(PUBLIC_KEY_FILE).unwrap()).is_ok());
        for wrong in [PRIVATE_KEY, "not a pem", ""] {
            let error = start(wrong).unwrap_err();
            assert!(error.starts_with("LABNET_JWT_PUBLIC_KEY_FILE"), "{error}");
        }
        let missing = JwtVerifier::from_settings(&Settings {
            jwt_public_key_file: "/nonexistent/key.pem".to_owned(),
            ..settings()
        })
        .map(|_| ())
        .unwrap_err();
        assert!(missing.contains("/nonexistent/key.pem"), "{missing}");
    }

    #[test]
    fn without_an_issuer_there_is_no_verifier() {
        assert!(JwtVerifier::from_settings(&Settings::default())
            .unwrap()
            .is_none());
        let error = JwtVerifier::from_settings(&Settings {
            jwt_issuer: String::new(),
            ..settings()
        })
        .map(|_| ())
        .unwrap_err();
        assert!(error.contains("without LABNET_JWT_ISSUER"), "{error}");
    }

    fn jwk(private_key: &str, extra: Value) -> Value {
        let key = EncodingKey::from_rsa_pem(private_key.as_bytes()).unwrap();
        let mut jwk =
            serde_json::to_value(Jwk::from_encoding_key(&key, Algorithm::RS256).unwrap()).unwrap();
        for (name, value) in extra.as_object().unwrap() {
            jwk[name] = value.clone();
        }
        jwk
    }

    #[test]
    fn jwks_documents_yield_only_rs256_signing_keys() {
        let small_modulus = BASE64URL.encode([0xff_u8; 128]);
        let document = json!({"keys": [
            jwk(PRIVATE_KEY, json!({"kid": "a", "use": "sig"})),
            jwk(OTHER_PRIVATE_KEY, json!({"kid": "b"})),
            // Skipped: another use, another algorithm, a symmetric key, a 1024-bit key,
            // an EC key, garbage, and a second key under a known id.
            jwk(OTHER_PRIVATE_KEY, json!({"kid": "enc", "use": "enc"})),
            jwk(OTHER_PRIVATE_KEY, json!({"kid": "ps", "alg": "PS256"})),
            {"kty": "oct", "kid": "oct", "k": BASE64URL.encode(SECRET)},
            {"kty": "RSA", "kid": "small", "n": small_modulus, "e": "AQAB"},
            {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"},
            {"kty": "RSA", "kid": "bad"},
            jwk(OTHER_PRIVATE_KEY, json!({"kid": "a"})),
        ]});
        let set = parse_jwks(&serde_json::to_vec(&document).unwrap()).unwrap();
        let ids: Vec<_> = set.keys.iter().map(|(kid, _)| kid.clone()).collect();
        assert_eq!(ids, [Some("a".to_owned()), Some("b".to_owned())]);
        assert_eq!(set.skipped, 7);

        let too_many = json!({"keys": vec![jwk(PRIVATE_KEY, json!({})); MAX_JWKS_KEYS + 1]});
        let error = parse_jwks(&serde_json::to_vec(&too_many).unwrap())
            .map(|_| ())
            .unwrap_err();
        assert!(error.contains("more than 64"), "{error}");
        let no_rsa = json!({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]});
        assert!(parse_jwks(&serde_json::to_vec(&no_rsa).unwrap()).is_err());
        assert!(parse_jwks(b"<html>").is_err());
        assert!(parse_jwks(b"{\"keys\": {}}").is_err());
    }

    #[test]
    fn the_description_names_the_default_claims() {
        let defaults = Settings::default();
        for claim in [
            &defaults.jwt_role_claim,
            &defaults.jwt_regions_claim,
            &defaults.jwt_global_claim,
        ] {
            assert!(JWT_DESCRIPTION.contains(&format!("`{claim}`")), "{claim}");
        }
        assert!(JWT_DESCRIPTION.contains(&MAX_TOKEN_BYTES.to_string()));
    }
}
