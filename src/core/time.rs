//! The UTC instant every resource carries (`created_at`, `updated_at`), and its one text
//! form. How each backend stores it is `db::types`' business.

use chrono::{DateTime, SecondsFormat, Utc};

/// The one text form timestamps take in SQLite (and in page tokens).
pub fn format_timestamp(value: &DateTime<Utc>) -> String {
    value.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn parse_timestamp(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc))
}

/// Now, truncated to whole microseconds: both backends store exactly this, so a value read
/// back equals the value written.
pub fn now() -> Timestamp {
    let now = Utc::now();
    Timestamp(DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now))
}

/// A UTC instant as stored in `created_at` / `updated_at` columns and shown in RFC 3339.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = crate::db::types::UtcTimestamp)]
pub struct Timestamp(pub DateTime<Utc>);

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        parse_timestamp(&text)
            .map(Timestamp)
            .map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for Timestamp {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::DateTime,
            )))
            .examples(["2026-11-24T09:30:00Z"])
            .into()
    }
}

impl utoipa::ToSchema for Timestamp {}
