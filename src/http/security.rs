//! Security headers on every response the application makes, errors and the documentation
//! included:
//!
//! - `X-Content-Type-Options: nosniff`, so a browser never runs a JSON body as script or
//!   HTML;
//! - `X-Frame-Options: DENY` and CSP `frame-ancestors 'none'`: no page may frame the API or
//!   its documentation;
//! - `Referrer-Policy: no-referrer`: links followed from the docs do not carry the API's URLs;
//! - `Content-Security-Policy`: `default-src 'none'` for everything but Swagger UI under
//!   `/docs`, which gets what it loads, all from this origin: its scripts and style sheets,
//!   inline styles (its components set them), `data:` images (icons in its style sheet), and
//!   requests to this origin and to `LABNET_PUBLIC_URL`'s (the spec, and "Try it out"). The
//!   problem-type pages (`/problems/{name}`) are HTML without scripts, styles or images, so
//!   they live with the strict policy;
//! - `Cross-Origin-Resource-Policy: same-origin`: another site may not embed the answers
//!   (`<script src>`, `<img src>`); browsers apply it only to such no-cors loads, so calls
//!   from the origins CORS allows (`fetch`, which is CORS mode) are unaffected;
//! - `Strict-Transport-Security: max-age=31536000` when `LABNET_PUBLIC_URL` is https (sent
//!   over plain http it would only be ignored, or pin a development host to TLS).
//!
//! A header a handler set itself is left as it is, and `Cache-Control` is the handlers'
//! alone: the ETag revalidation of reads depends on what they say.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;

use crate::config::Settings;

/// The policy of everything that is not Swagger UI: nothing may be loaded or framed.
const STRICT_POLICY: &str = "default-src 'none'; base-uri 'none'; form-action 'none'; \
frame-ancestors 'none'";

/// How long browsers keep to https once told (one year).
const HSTS: &str = "max-age=31536000";

/// The headers of one instance, computed once from the settings.
pub struct SecurityHeaders {
    hsts: bool,
    docs_policy: HeaderValue,
}

impl SecurityHeaders {
    pub fn new(settings: &Settings) -> Self {
        // Swagger UI sends "Try it out" requests to the spec's `servers` URL, which is
        // `LABNET_PUBLIC_URL`: a proxy may serve the docs under another origin than that.
        let public_origin = url::Url::parse(&settings.public_url)
            .map(|url| url.origin().ascii_serialization())
            .unwrap_or_default();
        let docs_policy = format!(
            "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; connect-src 'self' {public_origin}; base-uri 'none'; \
             form-action 'none'; frame-ancestors 'none'"
        );
        Self {
            hsts: settings.public_url_is_https(),
            docs_policy: HeaderValue::from_str(docs_policy.trim())
                .unwrap_or_else(|_| HeaderValue::from_static(STRICT_POLICY)),
        }
    }

    fn apply(&self, headers: &mut HeaderMap, docs: bool) {
        let mut set = |name: HeaderName, value: HeaderValue| {
            if !headers.contains_key(&name) {
                headers.insert(name, value);
            }
        };
        set(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        set(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        set(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        set(
            header::CONTENT_SECURITY_POLICY,
            if docs {
                self.docs_policy.clone()
            } else {
                HeaderValue::from_static(STRICT_POLICY)
            },
        );
        set(
            HeaderName::from_static("cross-origin-resource-policy"),
            HeaderValue::from_static("same-origin"),
        );
        if self.hsts {
            set(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static(HSTS),
            );
        }
    }
}

/// Whether a path is Swagger UI's (`/docs` and below).
fn is_docs(path: &str) -> bool {
    path == "/docs" || path.starts_with("/docs/")
}

/// Adds the security headers (see the module documentation) to every response. Wrapped
/// outermost, so that the answers of the other layers (CORS refusals and preflights, the
/// request-id layer's) carry them too. No layer inside answers with an `Err` (handlers' and
/// extractors' errors, and actix-cors' refusals, arrive as responses), so every answer passes
/// here.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let headers = req.app_data::<web::Data<SecurityHeaders>>().cloned();
    let docs = is_docs(req.path());
    let mut response = next.call(req).await?;
    if let Some(security) = headers {
        security.apply(response.headers_mut(), docs);
    }
    Ok(response)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn applied(settings: &Settings, docs: bool) -> HeaderMap {
        let mut headers = HeaderMap::new();
        SecurityHeaders::new(settings).apply(&mut headers, docs);
        headers
    }

    fn value(headers: &HeaderMap, name: HeaderName) -> &str {
        headers.get(name).unwrap().to_str().unwrap()
    }

    #[test]
    fn docs_may_load_from_their_origin_and_the_public_one() {
        let settings = Settings {
            public_url: "https://labnet.example/api/".to_owned(),
            ..Settings::default()
        };
        let docs = applied(&settings, true);
        let policy = value(&docs, header::CONTENT_SECURITY_POLICY);
        assert!(
            policy.contains("connect-src 'self' https://labnet.example;"),
            "{policy}"
        );
        assert!(policy.contains("script-src 'self';"), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert_eq!(value(&docs, header::STRICT_TRANSPORT_SECURITY), HSTS);
        let api = applied(&Settings::default(), false);
        assert_eq!(value(&api, header::CONTENT_SECURITY_POLICY), STRICT_POLICY);
        assert_eq!(value(&api, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
        assert!(!api.contains_key(header::STRICT_TRANSPORT_SECURITY));
        assert!(!api.contains_key(header::CACHE_CONTROL));
    }

    #[test]
    fn a_handlers_own_header_is_kept() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("SAMEORIGIN"),
        );
        SecurityHeaders::new(&Settings::default()).apply(&mut headers, false);
        assert_eq!(value(&headers, header::X_FRAME_OPTIONS), "SAMEORIGIN");
        assert!(is_docs("/docs") && is_docs("/docs/index.html") && !is_docs("/docsx"));
    }
}
