//! Keyset pagination: opaque page tokens and the page-size rule.
//!
//! A token is base64url (no padding) of a small JSON document holding a format version, the
//! sort it was made for, the last row's sort key and its id. The next page is
//! `key > x OR (key = x AND id > y)` (reversed for descending sorts), so pages stay correct
//! while rows are inserted or deleted between calls.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::core::error::DomainError;
use crate::core::time::{format_timestamp, parse_timestamp, Timestamp};

pub const DEFAULT_PAGE_SIZE: i64 = 50;
pub const MAX_PAGE_SIZE: i64 = 500;
const TOKEN_VERSION: u8 = 1;

/// The position after which the next page starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    /// Token format version.
    v: u8,
    /// The sort the token was made for (`name`, `-updated_at`, ...).
    pub sort: String,
    /// The last row's sort key (absent when sorting by id alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<SortKey>,
    /// The last row's id.
    pub id: uuid::Uuid,
}

/// A sort key value carried in a token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SortKey {
    Int(i64),
    Text(String),
}

impl SortKey {
    /// The key of a timestamp sort.
    pub fn timestamp(value: &Timestamp) -> Self {
        Self::Text(format_timestamp(&value.0))
    }
}

impl Cursor {
    pub fn new(sort: &str, key: Option<SortKey>, id: uuid::Uuid) -> Self {
        Self {
            v: TOKEN_VERSION,
            sort: sort.to_owned(),
            key,
            id,
        }
    }

    pub fn encode(&self) -> String {
        // Serializing this plain struct cannot fail; an empty token would only end paging.
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    fn decode(token: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
        let cursor: Self = serde_json::from_slice(&bytes).ok()?;
        // A key with NUL was never issued (no stored text holds one) and PostgreSQL refuses it.
        let plain_key = !matches!(&cursor.key, Some(SortKey::Text(text)) if text.contains('\0'));
        (cursor.v == TOKEN_VERSION && plain_key).then_some(cursor)
    }

    pub fn key_text(&self) -> Result<&str, DomainError> {
        match &self.key {
            Some(SortKey::Text(text)) => Ok(text),
            _ => Err(bad_token()),
        }
    }

    /// A timestamp sort key (carried as RFC 3339 text).
    pub fn key_timestamp(&self) -> Result<Timestamp, DomainError> {
        parse_timestamp(self.key_text()?)
            .map(Timestamp)
            .map_err(|_| bad_token())
    }

    pub fn key_int(&self) -> Result<i64, DomainError> {
        match &self.key {
            Some(SortKey::Int(value)) => Ok(*value),
            _ => Err(bad_token()),
        }
    }
}

fn bad_token() -> DomainError {
    DomainError::bad_parameter(
        "page_token",
        "invalid",
        "the page token is malformed or was not issued for this list",
    )
}

/// Page size and start position of one list request.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub size: i64,
    pub after: Option<Cursor>,
}

impl PageRequest {
    /// Validates `page_size` and decodes `page_token`, which must have been made for `sort`.
    pub fn parse(
        page_size: &Option<String>,
        page_token: &Option<String>,
        sort: &str,
    ) -> Result<Self, DomainError> {
        let size = match page_size.as_deref() {
            None => DEFAULT_PAGE_SIZE,
            Some(raw) => match raw.trim().parse::<i64>() {
                Ok(size) if (1..=MAX_PAGE_SIZE).contains(&size) => size,
                _ => {
                    return Err(DomainError::bad_parameter(
                        "page_size",
                        "out_of_range",
                        format!("must be an integer between 1 and {MAX_PAGE_SIZE}"),
                    ))
                }
            },
        };
        let after = match page_token.as_deref() {
            None | Some("") => None,
            Some(token) => {
                let cursor = Cursor::decode(token).ok_or_else(bad_token)?;
                if cursor.sort != sort {
                    return Err(DomainError::bad_parameter(
                        "page_token",
                        "invalid",
                        format!(
                            "the page token was issued for sort `{}`, not `{sort}`",
                            cursor.sort
                        ),
                    ));
                }
                Some(cursor)
            }
        };
        Ok(Self { size, after })
    }

    /// Rows to fetch: one more than the page, to know whether another page follows.
    pub fn fetch_limit(&self) -> i64 {
        self.size + 1
    }
}

/// Cuts the extra row off and makes the token for the next page from the last row kept.
pub fn finish_page<T>(
    mut rows: Vec<T>,
    request: &PageRequest,
    cursor_of: impl Fn(&T) -> Cursor,
) -> (Vec<T>, Option<String>) {
    let page_size = usize::try_from(request.size).unwrap_or(usize::MAX);
    if rows.len() > page_size {
        rows.truncate(page_size);
        let token = rows.last().map(|row| cursor_of(row).encode());
        (rows, token)
    } else {
        (rows, None)
    }
}

/// A sort that knows where a row of its list stands: the page token of the row (derived
/// by `sort_fields!`).
pub trait RowCursor<R>: SortField {
    fn cursor_of(sort: Sort<Self>, row: &R) -> Cursor;
}

/// The one order of a list that cannot be sorted otherwise, named in its page tokens.
pub trait FixedOrder {
    const NAME: &'static str;
}

/// A list sort: a field and a direction, parsed from `sort=field` or `sort=-field`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort<F> {
    pub field: F,
    pub descending: bool,
}

/// Sortable fields of a resource.
pub trait SortField: Sized + Copy + PartialEq + 'static {
    /// Every field with its query name.
    const ALL: &'static [(&'static str, Self)];
    const DEFAULT: Self;
    /// What a client should know about some fields' order (`(name, note)`).
    const NOTES: &'static [(&'static str, &'static str)] = &[];

    fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, field)| *field == self)
            .map(|(name, _)| *name)
            .unwrap_or("")
    }
}

impl<F: SortField> Sort<F> {
    pub fn parse(raw: &Option<String>) -> Result<Self, DomainError> {
        let Some(raw) = raw.as_deref().map(str::trim) else {
            return Ok(Self {
                field: F::DEFAULT,
                descending: false,
            });
        };
        let (descending, name) = match raw.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, raw),
        };
        F::ALL
            .iter()
            .find(|(candidate, _)| *candidate == name)
            .map(|(_, field)| Self {
                field: *field,
                descending,
            })
            .ok_or_else(|| {
                let allowed: Vec<&str> = F::ALL.iter().map(|(n, _)| *n).collect();
                DomainError::bad_parameter(
                    "sort",
                    "invalid",
                    format!(
                        "`{raw}` is not a sortable field; use one of {} (prefix `-` for descending)",
                        allowed.join(", ")
                    ),
                )
            })
    }

    /// The canonical text of this sort (`name`, `-updated_at`), stored in page tokens.
    pub fn token_name(&self) -> String {
        if self.descending {
            format!("-{}", self.field.name())
        } else {
            self.field.name().to_owned()
        }
    }
}

/// Declares a concrete page schema (`{"items": [...], "next_page_token": ...}`) for a resource.
#[macro_export]
macro_rules! define_page {
    ($page:ident, $item:ty, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, serde::Serialize, utoipa::ToSchema)]
        pub struct $page {
            /// The rows of this page, in the requested order.
            pub items: Vec<$item>,
            /// Pass as `page_token` to get the next page; `null` on the last page (always
            /// sent).
            #[schema(required = true, example = "eyJ2IjoxLCJzb3J0IjoibmFtZSIsImtleSI6ItCa0YPRgNCz0LDQvSIsImlkIjoiMDE5M2EwZjQtNWU2Yi03YzNkLTlhMTAtMmIzYzRkNWU2ZjcwIn0")]
            pub next_page_token: Option<String>,
        }
    };
}

/// How one kind of sort key travels in a page token: what a row's key becomes in the token,
/// and what a token's key must be for a sort of this kind (a 400 otherwise).
pub trait SortKeyCodec {
    type Value;
    fn encode(value: &Self::Value) -> SortKey;
    fn decode(cursor: &Cursor) -> Result<Self::Value, DomainError>;
}

/// A text key (names, codes), compared byte-wise on both backends.
pub struct TextKey;

impl SortKeyCodec for TextKey {
    type Value = String;

    fn encode(value: &String) -> SortKey {
        SortKey::Text(value.clone())
    }

    fn decode(cursor: &Cursor) -> Result<String, DomainError> {
        cursor.key_text().map(str::to_owned)
    }
}

/// A timestamp key (`created_at`, `updated_at`), carried as RFC 3339 text.
pub struct TimestampKey;

impl SortKeyCodec for TimestampKey {
    type Value = Timestamp;

    fn encode(value: &Timestamp) -> SortKey {
        SortKey::timestamp(value)
    }

    fn decode(cursor: &Cursor) -> Result<Timestamp, DomainError> {
        cursor.key_timestamp()
    }
}

/// A calendar date key (`issued_on`), carried as `YYYY-MM-DD` text.
pub struct DateKey;

impl SortKeyCodec for DateKey {
    type Value = chrono::NaiveDate;

    fn encode(value: &chrono::NaiveDate) -> SortKey {
        SortKey::Text(value.format("%Y-%m-%d").to_string())
    }

    fn decode(cursor: &Cursor) -> Result<chrono::NaiveDate, DomainError> {
        chrono::NaiveDate::parse_from_str(cursor.key_text()?, "%Y-%m-%d").map_err(|_| bad_token())
    }
}

/// An integer key of a 32-bit column (or expression), at least `MIN`: a token's key outside
/// that range was not issued.
pub struct IntKey<const MIN: i32>;

impl<const MIN: i32> SortKeyCodec for IntKey<MIN> {
    type Value = i32;

    fn encode(value: &i32) -> SortKey {
        SortKey::Int(i64::from(*value))
    }

    fn decode(cursor: &Cursor) -> Result<i32, DomainError> {
        i32::try_from(cursor.key_int()?)
            .ok()
            .filter(|key| *key >= MIN)
            .ok_or_else(bad_token)
    }
}
