//! The JSON body extractor: 415 for a wrong content type, 413 over the body limit, 400 for
//! malformed JSON, 422 naming the field for well-formed JSON of the wrong shape.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::core::error::{DomainError, FieldCode, FieldError};

/// How much of a body the service accepts, and for how long it waits for it.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit {
    /// The largest body, in bytes (`LABNET_BODY_LIMIT`).
    pub bytes: usize,
    /// The longest wait for the whole body once the head has arrived
    /// (`LABNET_BODY_TIMEOUT`): a client that trickles its body is answered 408 and its
    /// connection closed, instead of holding it open.
    pub timeout: std::time::Duration,
}

impl Default for BodyLimit {
    fn default() -> Self {
        Self {
            bytes: 1024 * 1024,
            timeout: std::time::Duration::from_secs(10),
        }
    }
}

/// Reads a whole body within the limits: 413 past the size, 408 past the time.
pub async fn read_body(mut payload: Payload, limit: BodyLimit) -> Result<web::Bytes, DomainError> {
    let read = async {
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk
                .map_err(|e| DomainError::bad_request(format!("could not read the body: {e}")))?;
            if body.len() + chunk.len() > limit.bytes {
                return Err(too_large(limit.bytes));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    };
    tokio::time::timeout(limit.timeout, read)
        .await
        .unwrap_or_else(|_| {
            Err(DomainError::RequestTimeout(format!(
                "the body did not arrive within {} seconds",
                limit.timeout.as_secs()
            )))
        })
}

/// A JSON request body deserialized into `T`.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = DomainError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, DomainError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<BodyLimit>>()
            .map(|l| *l.get_ref())
            .unwrap_or_default();
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let declared_length = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let content_encoding = req
            .headers()
            .get(header::CONTENT_ENCODING)
            .map(|v| v.to_str().unwrap_or("(not text)").to_owned());
        let payload = payload.take();
        Box::pin(async move {
            check_content_type(content_type.as_deref())?;
            check_content_encoding(content_encoding.as_deref())?;
            if declared_length.is_some_and(|length| length > limit.bytes) {
                return Err(too_large(limit.bytes));
            }
            let body = read_body(payload, limit).await?;
            parse_json(&body).map(JsonBody)
        })
    }
}

fn too_large(limit: usize) -> DomainError {
    DomainError::PayloadTooLarge(format!("the body exceeds the limit of {limit} bytes"))
}

/// `application/json`, `application/merge-patch+json` and any other `+json` type are accepted.
fn check_content_type(content_type: Option<&str>) -> Result<(), DomainError> {
    let Some(raw) = content_type else {
        return Err(DomainError::UnsupportedMediaType(
            "the request has no Content-Type; send application/json".to_owned(),
        ));
    };
    let essence = raw
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
    {
        // JSON is UTF-8 (RFC 8259): a body declared in another charset is not read as if it
        // were UTF-8.
        let charset = raw.split(';').skip(1).find_map(|parameter| {
            let (name, value) = parameter.split_once('=')?;
            name.trim()
                .eq_ignore_ascii_case("charset")
                .then(|| value.trim().trim_matches('"').to_ascii_lowercase())
        });
        match charset.as_deref() {
            None | Some("utf-8") | Some("utf8") => Ok(()),
            Some(other) => Err(DomainError::UnsupportedMediaType(format!(
                "JSON bodies are UTF-8; charset {other} is not accepted"
            ))),
        }
    } else {
        Err(DomainError::UnsupportedMediaType(format!(
            "expected Content-Type application/json or application/merge-patch+json, got {raw}"
        )))
    }
}

/// Bodies are taken as sent: a compressed body (`Content-Encoding` other than `identity`)
/// is refused rather than read as JSON.
fn check_content_encoding(content_encoding: Option<&str>) -> Result<(), DomainError> {
    match content_encoding.map(str::trim) {
        None => Ok(()),
        Some(coding) if coding.eq_ignore_ascii_case("identity") => Ok(()),
        Some(coding) => Err(DomainError::UnsupportedMediaType(format!(
            "Content-Encoding {coding} is not accepted; send the body uncompressed"
        ))),
    }
}

/// The JSON path (`name`, `accreditation.number`, `disciplines[2]`) of the first string or
/// member name holding the NUL character, if any.
fn nul_path(value: &serde_json::Value, path: &str) -> Option<String> {
    let join = |name: &str| {
        if path.is_empty() {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        }
    };
    match value {
        serde_json::Value::String(text) if text.contains('\0') => Some(if path.is_empty() {
            "body".to_owned()
        } else {
            path.to_owned()
        }),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(index, item)| nul_path(item, &format!("{path}[{index}]"))),
        serde_json::Value::Object(members) => members.iter().find_map(|(name, member)| {
            if name.contains('\0') {
                Some(join(name))
            } else {
                nul_path(member, &join(name))
            }
        }),
        _ => None,
    }
}

/// PostgreSQL cannot store the NUL character in text, so no field accepts it (on either
/// backend, so both behave alike). JSON can only carry it escaped, as `\u0000`.
fn refuse_nul(body: &[u8]) -> Result<(), DomainError> {
    if !body.windows(6).any(|window| window == b"\\u0000") {
        return Ok(());
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Ok(());
    };
    match nul_path(&value, "") {
        Some(field) => Err(DomainError::Validation(vec![FieldError::new(
            field,
            FieldCode::Invalid,
            "must not contain the NUL character (U+0000)",
        )])),
        None => Ok(()),
    }
}

/// Deserializes a body, naming the offending field on shape errors. The whole body must be
/// one JSON document (nothing may trail it), and malformed JSON is reported as such even
/// where the part read so far already has the wrong shape.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, DomainError> {
    if let Err(error) = serde_json::from_slice::<serde::de::IgnoredAny>(body) {
        return Err(DomainError::bad_request(format!(
            "the body is not valid JSON: {error}"
        )));
    }
    // Serde would also read a struct from an array, by position; bodies are objects.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(DomainError::Validation(vec![FieldError::new(
            "body",
            FieldCode::InvalidType,
            "the body must be a JSON object",
        )]));
    }
    refuse_nul(body)?;
    let deserializer = &mut serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize::<_, T>(deserializer) {
        Ok(value) => Ok(value),
        Err(error) => {
            let path = error.path().to_string();
            let inner = error.into_inner();
            use serde_json::error::Category;
            match inner.classify() {
                Category::Syntax | Category::Eof | Category::Io => Err(DomainError::bad_request(
                    format!("the body is not valid JSON: {inner}"),
                )),
                Category::Data => Err(DomainError::Validation(vec![field_error(
                    &path,
                    &inner.to_string(),
                )])),
            }
        }
    }
}

/// Turns serde's message into a field error: the field is the path, or for a missing or
/// unknown field the name serde quotes in backticks.
fn field_error(path: &str, message: &str) -> FieldError {
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(message)
        .to_owned();
    let quoted = message.split('`').nth(1).map(str::to_owned);
    let join = |name: String| {
        if path == "." || path.is_empty() || path == name || path.ends_with(&format!(".{name}")) {
            if path == "." || path.is_empty() {
                name
            } else {
                path.to_owned()
            }
        } else {
            format!("{path}.{name}")
        }
    };
    if message.starts_with("missing field") {
        if let Some(name) = quoted {
            return FieldError::new(join(name), FieldCode::Required, "this field is required");
        }
    }
    if message.starts_with("unknown field") {
        if let Some(name) = quoted {
            return FieldError::new(join(name), FieldCode::UnknownField, message);
        }
    }
    let code = if message.starts_with("unknown variant") {
        FieldCode::InvalidValue
    } else {
        FieldCode::InvalidType
    };
    let field = if path == "." || path.is_empty() {
        "body".to_owned()
    } else {
        path.to_owned()
    };
    FieldError::new(field, code, message)
}
