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
