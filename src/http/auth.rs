//! Who is calling: `Authorization: Bearer <credential>` resolved once per request into a
//! [`Caller`] (an API key, a JWT from a configured identity provider, or anonymous), and the
//! role each operation needs, declared in its handler's signature ([`Authorized`],
//! [`Writer`]) and in its spec (`security`).
//!
//! Keys are looked up by their hash and remembered for `LABNET_KEY_CACHE_SECONDS` (5 s by
//! default): a key made or revoked through one instance is honoured by every other instance
//! sharing the database within that time, and a read costs no database lookup for its key.

use std::collections::HashMap;
use std::future::{ready, Ready};
use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};

use crate::api_keys::model::{ApiKeyId, KEY_PREFIX};
use crate::api_keys::service::{self as keys, MAX_KEY_LENGTH};
use crate::core::auth::{Caller, Role};
use crate::core::context::WriteContext;
use crate::core::error::DomainError;
use crate::core::time::now;
use crate::db::DbPool;
use crate::AppState;

/// Most keys remembered per instance; past it the oldest half is forgotten (an attacker
/// sending random keys costs lookups, never unbounded memory).
const MAX_CACHED_KEYS: usize = 10_000;
/// How long apart an instance writes a key's `last_used_at`.
const LAST_USED_EVERY: Duration = Duration::from_secs(60);
/// Longest `Authorization` header read (a JWT with many claims fits).
const MAX_CREDENTIAL_LENGTH: usize = 8 * 1024;

#[derive(Debug, Clone)]
struct CachedKey {
    /// `None`: no such key.
    found: Option<FoundKey>,
    looked_up: Instant,
}

#[derive(Debug, Clone)]
struct FoundKey {
    id: ApiKeyId,
    caller: Caller,
    expires_at: Option<crate::core::time::Timestamp>,
    revoked: bool,
    marked_used: Option<Instant>,
}

/// Checks bearer tokens that are not API keys (JWTs of a configured identity provider).
pub trait TokenVerifier: Send + Sync {
    /// The caller a token stands for, or why it is refused (401). Never waits on the
    /// network.
    fn verify(&self, token: &str) -> Result<Caller, DomainError>;
}

/// Resolves credentials into callers; one per process, shared by its workers.
pub struct Authenticator {
    keys: RwLock<HashMap<String, CachedKey>>,
    key_cache_for: Duration,
    tokens: Option<Arc<dyn TokenVerifier>>,
    /// `LABNET_PUBLIC_READ`: anonymous callers may read.
    pub public_read: bool,
}

impl Authenticator {
    pub fn new(
        key_cache_for: Duration,
        public_read: bool,
        tokens: Option<Arc<dyn TokenVerifier>>,
    ) -> Self {
        Authenticator {
            keys: RwLock::new(HashMap::new()),
            key_cache_for,
            tokens,
            public_read,
        }
    }

    /// The caller a bearer credential stands for, or why it is refused (401).
    /// A credential beginning with `lnk_` is an API key (a JWT cannot begin so: its first
    /// part is base64url of a JSON object, `ey…`); one shaped like a JWT goes to the token
    /// verifier; anything else is refused without being decoded.
    pub async fn caller_for(&self, pool: &DbPool, credential: &str) -> Result<Caller, DomainError> {
        if credential.starts_with(KEY_PREFIX) {
            return self.key_caller(pool, credential).await;
        }
        if !looks_like_jwt(credential) {
            return Err(DomainError::bad_credentials(
                "the bearer credential is neither an API key (`lnk_…`) nor a JWT",
            ));
        }
        match &self.tokens {
            Some(tokens) => tokens.verify(credential),
            None => Err(DomainError::bad_credentials(
                "this service accepts no JWTs: send an API key (`lnk_…`)",
            )),
        }
    }

    async fn key_caller(&self, pool: &DbPool, key: &str) -> Result<Caller, DomainError> {
        if keys::prefix_of(key).is_none() || key.len() > MAX_KEY_LENGTH {
            return Err(DomainError::bad_credentials("the API key is malformed"));
        }
        let hash = keys::key_hash(key);
        let cached = self
            .keys
            .read()
            .ok()
            .and_then(|keys| keys.get(&hash).cloned())
            .filter(|cached| cached.looked_up.elapsed() < self.key_cache_for);
        let cached = match cached {
            Some(cached) => cached,
            None => {
                let row = keys::find_presented(pool, key.to_owned()).await?;
                let found = match row {
                    Some(row) => Some(FoundKey {
                        id: row.id,
                        caller: keys::caller_of(&row)?,
                        expires_at: row.expires_at,
                        revoked: row.revoked_at.is_some(),
                        marked_used: row
                            .last_used_at
                            .filter(|used| {
                                (now().0 - used.0)
                                    .to_std()
                                    .is_ok_and(|ago| ago < LAST_USED_EVERY)
                            })
                            .map(|_| Instant::now()),
                    }),
                    None => None,
                };
                let cached = CachedKey {
                    found,
                    looked_up: Instant::now(),
                };
                self.remember(&hash, cached.clone());
                cached
            }
        };
        let Some(found) = cached.found else {
            return Err(DomainError::bad_credentials("the API key is not known"));
        };
        if found.revoked {
            return Err(DomainError::bad_credentials("the API key was revoked"));
        }
        if found.expires_at.is_some_and(|expires| expires <= now()) {
            return Err(DomainError::bad_credentials("the API key has expired"));
        }
        if found
            .marked_used
            .is_none_or(|marked| marked.elapsed() >= LAST_USED_EVERY)
        {
            self.mark_used(pool, &hash, found.id);
        }
        Ok(found.caller)
    }

    /// Forgets what this instance knows about a key (revoked through it: refused at once).
    pub fn forget_key(&self, id: ApiKeyId) {
        if let Ok(mut keys) = self.keys.write() {
            keys.retain(|_, cached| cached.found.as_ref().is_none_or(|found| found.id != id));
        }
    }

    fn remember(&self, hash: &str, cached: CachedKey) {
        let Ok(mut keys) = self.keys.write() else {
            return;
        };
        if keys.len() >= MAX_CACHED_KEYS {
            let ttl = self.key_cache_for;
            keys.retain(|_, entry| entry.looked_up.elapsed() < ttl);
            if keys.len() >= MAX_CACHED_KEYS {
                keys.clear();
            }
        }
        keys.insert(hash.to_owned(), cached);
    }

    fn mark_used(&self, pool: &DbPool, hash: &str, id: ApiKeyId) {
        if let Ok(mut keys) = self.keys.write() {
            if let Some(found) = keys.get_mut(hash).and_then(|c| c.found.as_mut()) {
                found.marked_used = Some(Instant::now());
            }
        }
        let pool = pool.clone();
        actix_web::rt::spawn(async move {
            if let Err(error) = keys::mark_used(&pool, id).await {
                tracing::warn!(error = %error, "could not note a key's last use");
            }
        });
    }
}

/// Whether a credential has the shape of a JWT: a header, claims and a signature in
/// base64url, separated by dots. The signature may be empty (an unsigned token, which the
/// verifier refuses by naming its algorithm).
fn looks_like_jwt(credential: &str) -> bool {
    let base64url = |part: &str| {
        part.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    let parts: Vec<&str> = credential.split('.').collect();
    matches!(parts.as_slice(), [header, claims, signature]
        if !header.is_empty() && !claims.is_empty()
            && base64url(header) && base64url(claims) && base64url(signature))
}

/// The bearer credential of a request: `None` without an `Authorization` header.
fn bearer(req: &ServiceRequest) -> Result<Option<String>, DomainError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    if value.len() > MAX_CREDENTIAL_LENGTH {
        return Err(DomainError::bad_credentials(
            "the Authorization header is too long",
        ));
    }
    let text = value
        .to_str()
        .map_err(|_| DomainError::bad_credentials("the Authorization header is unreadable"))?;
    let (scheme, credential) = text.trim().split_once(' ').unwrap_or((text.trim(), ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(DomainError::bad_credentials(
            "the Authorization header must be `Bearer <API key or token>`",
        ));
    }
    let credential = credential.trim();
    if credential.is_empty() {
        return Err(DomainError::bad_credentials(
            "the Authorization header has no credential after `Bearer`",
        ));
    }
    Ok(Some(credential.to_owned()))
}

/// The middleware: resolves the caller of every `/v1` request before anything else reads
/// it (the idempotency layer, the rate limits, the handlers). Credentials that were sent but
/// are refused get 401 here, whatever the operation; missing ones are anonymous, and the
/// operation decides.
pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if !req.path().starts_with("/v1/") {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let caller = match bearer(&req) {
        Ok(None) => Ok(Caller::anonymous()),
        Ok(Some(credential)) => state.auth.caller_for(&state.pool, &credential).await,
        Err(error) => Err(error),
    };
    match caller {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            next.call(req)
                .await
                .map(ServiceResponse::map_into_boxed_body)
        }
        // Refused credentials count against the client address (`http::limits`), so that
        // guessing keys is limited like anonymous calls are.
        Err(error) => Ok(crate::http::limits::refused_credentials(req, error)),
    }
}

/// A role an operation needs, as a type: `Authorized<Editor>` in a handler's signature.
pub trait Needed {
    const ROLE: Role;
}

/// Every GET: open to anonymous callers when `LABNET_PUBLIC_READ` is on.
pub struct Reader;
/// Writes to the registry, within the caller's regions.
pub struct Editor;
/// Everything, API keys included.
pub struct Admin;

impl Needed for Reader {
    const ROLE: Role = Role::Reader;
}
impl Needed for Editor {
    const ROLE: Role = Role::Editor;
}
impl Needed for Admin {
    const ROLE: Role = Role::Admin;
}

fn caller_of(req: &HttpRequest) -> Caller {
    req.extensions()
        .get::<Caller>()
        .cloned()
        .unwrap_or_else(Caller::anonymous)
}

/// Checks that the request's caller has role `R`: 401 without credentials, 403 with a
/// lower role.
pub fn authorize(req: &HttpRequest, needed: Role) -> Result<Caller, DomainError> {
    let caller = caller_of(req);
    if caller.has(needed) {
        return Ok(caller);
    }
    if caller.role.is_none() {
        let public = req
            .app_data::<web::Data<AppState>>()
            .is_some_and(|state| state.auth.public_read);
        if needed == Role::Reader && public {
            return Ok(caller);
        }
        return Err(DomainError::no_credentials());
    }
    Err(DomainError::needs_role(
        needed,
        format!("this operation needs the `{needed}` role"),
    ))
}

/// The caller of an operation that needs role `R`.
pub struct Authorized<R: Needed> {
    pub caller: Caller,
    role: PhantomData<R>,
}

impl<R: Needed> FromRequest for Authorized<R> {
    type Error = DomainError;
    type Future = Ready<Result<Self, DomainError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authorize(req, R::ROLE).map(|caller| Authorized {
            caller,
            role: PhantomData,
        }))
    }
}

/// The write context of an operation that needs role `R`: the caller (checked) with the
/// request id and, for a first-time `Idempotency-Key`, the key.
pub struct Writer<R: Needed> {
    context: WriteContext,
    role: PhantomData<R>,
}

impl<R: Needed> Writer<R> {
    pub fn into_context(self) -> WriteContext {
        self.context
    }
}

impl<R: Needed> Deref for Writer<R> {
    type Target = WriteContext;

    fn deref(&self) -> &WriteContext {
        &self.context
    }
}

impl<R: Needed> FromRequest for Writer<R> {
    type Error = DomainError;
    type Future = Ready<Result<Self, DomainError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let checked = authorize(req, R::ROLE).and_then(|_| {
            WriteContext::from_request(req, payload)
                .into_inner()
                .map(|context| Writer {
                    context,
                    role: PhantomData,
                })
        });
        ready(checked)
    }
}

#[cfg(test)]
mod tests {
    use super::looks_like_jwt;

    #[test]
    fn jwts_are_told_from_other_credentials_by_their_shape() {
        assert!(looks_like_jwt(
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln-_0"
        ));
        assert!(looks_like_jwt("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0."));
        for other in [
            "",
            "opaque-token",
            "a.b",
            "a.b.c.d",
            ".b.c",
            "a..c",
            "a.b.c=",
            "a.b+.c",
            "a.b/.c",
            "a. b.c",
        ] {
            assert!(!looks_like_jwt(other), "{other}");
        }
    }
}
