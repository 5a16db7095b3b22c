//! Query-string parsing: unknown parameters are refused (400), every value is parsed with
//! an error that names its parameter.

use std::future::{ready, Ready};
use std::str::FromStr;

use actix_web::{FromRequest, HttpRequest};
use chrono::NaiveDate;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Query parameters deserialized into `T` (whose fields are all optional strings and which
/// denies unknown fields).
#[derive(Debug)]
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned> FromRequest for QueryParams<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut actix_web::dev::Payload) -> Self::Future {
        // No stored text can hold NUL (PostgreSQL refuses it), so no parameter may carry it.
        if let Some((name, _)) = url::form_urlencoded::parse(req.query_string().as_bytes())
            .find(|(name, value)| name.contains('\0') || value.contains('\0'))
        {
            return ready(Err(ApiError::bad_parameter(
                &name,
                "invalid",
                "must not contain the NUL character (U+0000)",
            )));
        }
        ready(
            serde_urlencoded::from_str::<T>(req.query_string())
                .map(QueryParams)
                .map_err(|error| {
                    let message = error.to_string();
                    match message.split('`').nth(1) {
                        Some(name) if message.starts_with("unknown field") => ApiError::bad_parameter(
                            name,
                            "unknown_parameter",
                            "unknown query parameter",
                        ),
                        Some(name) if message.starts_with("duplicate field") => ApiError::bad_parameter(
                            name,
                            "duplicate_parameter",
                            "the parameter is given more than once; separate several values with commas",
                        ),
                        _ => ApiError::bad_request(format!("the query string is invalid: {message}")),
                    }
                }),
        )
    }
}

/// Parses a single value.
pub fn parse_one<T: FromStr>(parameter: &str, raw: &str, expected: &str) -> Result<T, ApiError> {
    raw.trim().parse::<T>().map_err(|_| {
        ApiError::bad_parameter(parameter, "invalid", format!("`{raw}` is not {expected}"))
    })
}

/// Parses an optional single value.
pub fn parse_opt<T: FromStr>(
    parameter: &str,
    raw: &Option<String>,
    expected: &str,
) -> Result<Option<T>, ApiError> {
    raw.as_deref()
        .map(|value| parse_one(parameter, value, expected))
        .transpose()
}

/// Parses a comma-separated "any of" list; an empty result is refused.
pub fn parse_list<T: FromStr>(
    parameter: &str,
    raw: &Option<String>,
    expected: &str,
) -> Result<Option<Vec<T>>, ApiError> {
    let Some(raw) = raw else { return Ok(None) };
    let values = raw
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| parse_one(parameter, v, expected))
        .collect::<Result<Vec<T>, _>>()?;
    if values.is_empty() {
        return Err(ApiError::bad_parameter(
            parameter,
            "invalid",
            "give at least one value",
        ));
    }
    Ok(Some(values))
}

pub fn parse_bool(parameter: &str, raw: &Option<String>) -> Result<Option<bool>, ApiError> {
    match raw.as_deref().map(str::trim) {
        None => Ok(None),
        Some("true") | Some("1") => Ok(Some(true)),
        Some("false") | Some("0") => Ok(Some(false)),
        Some(other) => Err(ApiError::bad_parameter(
            parameter,
            "invalid",
            format!("`{other}` is not a boolean (true or false)"),
        )),
    }
}

pub fn parse_date(parameter: &str, raw: &Option<String>) -> Result<Option<NaiveDate>, ApiError> {
    parse_opt(parameter, raw, "a date (YYYY-MM-DD)")
}

/// Country codes are ISO 3166-1 alpha-2, upper case, and must exist.
pub fn parse_country_list(
    parameter: &str,
    raw: &Option<String>,
) -> Result<Option<Vec<String>>, ApiError> {
    let Some(codes) = parse_list::<String>(parameter, raw, "a country code")? else {
        return Ok(None);
    };
    for code in &codes {
        if !crate::validation::is_country_code(code) {
            return Err(ApiError::bad_parameter(
                parameter,
                "invalid",
                format!("`{code}` is not an ISO 3166-1 alpha-2 country code"),
            ));
        }
    }
    Ok(Some(codes))
}

/// Most words a `q` search may hold: each one is a lookup of its own.
pub const MAX_SEARCH_TERMS: usize = 8;

/// The words of a `q` search, normalized the way search columns are filled
/// (`validation::search_terms`). Text without a letter or digit gives no words, and
/// matches nothing.
pub fn parse_search(raw: &Option<String>) -> Result<Option<Vec<String>>, ApiError> {
    match raw.as_deref().map(str::trim) {
        None => Ok(None),
        Some("") => Err(ApiError::bad_parameter(
            "q",
            "invalid",
            "the search text is empty",
        )),
        Some(text) if text.chars().count() > 200 => Err(ApiError::bad_parameter(
            "q",
            "too_long",
            "the search text is longer than 200 characters",
        )),
        Some(text) => {
            let terms = crate::validation::search_terms(text);
            if terms.len() > MAX_SEARCH_TERMS {
                return Err(ApiError::bad_parameter(
                    "q",
                    "too_many_words",
                    format!("the search text has more than {MAX_SEARCH_TERMS} words"),
                ));
            }
            Ok(Some(terms))
        }
    }
}

/// `LIKE` pattern for "a word of the search column starts with `term`" (the column holds
/// each word preceded by a space), with the pattern characters escaped (`\` is the escape
/// character on both backends via `ESCAPE '\'`).
pub fn word_prefix_pattern(term: &str) -> String {
    let mut pattern = String::with_capacity(term.len() + 3);
    pattern.push_str("% ");
    for ch in term.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(ch);
    }
    pattern.push('%');
    pattern
}
