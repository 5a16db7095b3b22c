//! How body members that serde would read too narrowly or explain in its own words are
//! read: whole numbers (`12000` and `12000.0` alike) and dates (`YYYY-MM-DD` exactly).
//! Each comes as a plain, an optional (`null` is `None`) and a merge-patch member
//! (`merge_patch_field`'s absent / `null` / value), for `#[serde(deserialize_with = ...)]`;
//! an optional or merge-patch member also needs `#[serde(default)]`.
//!
//! A wrong value is refused with a message in the API's words, which the JSON extractor
//! turns into a 422 naming the member.

use std::fmt;

use chrono::NaiveDate;
use serde::de::{self, Deserialize, Deserializer, Visitor};

/// What a member that must be a whole number is told.
pub const WHOLE_NUMBER_MESSAGE: &str = "must be a whole number";

/// What a member that must be a date is told.
pub const DATE_MESSAGE: &str = "must be a date as YYYY-MM-DD (e.g. 2026-11-24)";

/// A JSON number without a fraction: an integer, or a number written with a zero fraction
/// or an exponent (`12000.0`, `1.2e4`). One beyond the range of `i64` is kept as
/// `i64::MIN`/`i64::MAX`, so the member's range check refuses it in its own words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WholeNumber(pub i64);

/// A date as `YYYY-MM-DD`: four-digit year, two-digit month and day, and a day the calendar
/// has (RFC 3339's `full-date`, the spec's `format: date`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

/// Parses `YYYY-MM-DD` exactly: no sign, no single-digit month or day, nothing around it.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
    if bytes.len() != 10
        || bytes[4] != b'-'
        || bytes[7] != b'-'
        || !digits(0..4)
        || !digits(5..7)
        || !digits(8..10)
    {
        return None;
    }
    let year = text[0..4].parse().ok()?;
    let month = text[5..7].parse().ok()?;
    let day = text[8..10].parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Refuses whatever a visitor was not written for, in the member's own words.
macro_rules! refuse_other_types {
    ($message:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Err(E::custom($message))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Err(E::custom($message))
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
            Err(de::Error::custom($message))
        }
        fn visit_map<A: de::MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
            Err(de::Error::custom($message))
        }
    };
}

struct WholeNumberVisitor;

impl<'de> Visitor<'de> for WholeNumberVisitor {
    type Value = WholeNumber;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a whole number")
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<WholeNumber, E> {
        Ok(WholeNumber(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<WholeNumber, E> {
        Ok(WholeNumber(i64::try_from(value).unwrap_or(i64::MAX)))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<WholeNumber, E> {
        if !value.is_finite() || value.fract() != 0.0 {
            return Err(E::custom(format!("{WHOLE_NUMBER_MESSAGE}, not {value}")));
        }
        // `as` saturates at the bounds of `i64`, which every range check refuses.
        #[allow(clippy::cast_possible_truncation)]
        Ok(WholeNumber(value as i64))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<WholeNumber, E> {
        Err(E::custom(format!(
            "{WHOLE_NUMBER_MESSAGE} (a JSON number, not a string)"
        )))
    }

    refuse_other_types!(WHOLE_NUMBER_MESSAGE);
}

impl<'de> Deserialize<'de> for WholeNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(WholeNumberVisitor)
    }
}

struct DateVisitor;

impl<'de> Visitor<'de> for DateVisitor {
    type Value = Date;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str(DATE_MESSAGE)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Date, E> {
        parse_date(text)
            .map(Date)
            .ok_or_else(|| E::custom(DATE_MESSAGE))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Date, E> {
        Err(E::custom(DATE_MESSAGE))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Date, E> {
        Err(E::custom(DATE_MESSAGE))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Date, E> {
        Err(E::custom(DATE_MESSAGE))
    }

    refuse_other_types!(DATE_MESSAGE);
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DateVisitor)
    }
}

/// A whole number, `null` refused.
pub fn whole_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    WholeNumber::deserialize(deserializer).map(|number| number.0)
}

/// An optional whole number: `null` is `None`.
pub fn optional_whole_number<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<i64>, D::Error> {
    Option::<WholeNumber>::deserialize(deserializer).map(|number| number.map(|n| n.0))
}

/// A merge-patch whole number: absent → `None`, `null` → `Some(None)`.
pub fn merge_patch_whole_number<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<i64>>, D::Error> {
    optional_whole_number(deserializer).map(Some)
}

/// A date, `null` refused.
pub fn date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
    Date::deserialize(deserializer).map(|date| date.0)
}

/// An optional date: `null` is `None`.
pub fn optional_date<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<NaiveDate>, D::Error> {
    Option::<Date>::deserialize(deserializer).map(|date| date.map(|d| d.0))
}

/// A merge-patch date: absent → `None`, `null` → `Some(None)`.
pub fn merge_patch_date<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<NaiveDate>>, D::Error> {
    optional_date(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Body {
        #[serde(default, deserialize_with = "optional_whole_number")]
        number: Option<i64>,
        #[serde(default, deserialize_with = "merge_patch_date")]
        date: Option<Option<NaiveDate>>,
    }

    fn number(json: &str) -> Result<Option<i64>, String> {
        serde_json::from_str::<Body>(&format!(r#"{{"number": {json}}}"#))
            .map(|body| body.number)
            .map_err(|e| e.to_string())
    }

    fn date(json: &str) -> Result<Option<Option<NaiveDate>>, String> {
        serde_json::from_str::<Body>(&format!(r#"{{"date": {json}}}"#))
            .map(|body| body.date)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn whole_numbers_may_be_written_with_a_zero_fraction() {
        assert_eq!(number("12000"), Ok(Some(12000)));
        assert_eq!(number("12000.0"), Ok(Some(12000)));
        assert_eq!(number("1.2e4"), Ok(Some(12000)));
        assert_eq!(number("-0.0"), Ok(Some(0)));
        assert_eq!(number("null"), Ok(None));
        assert_eq!(number("1e30"), Ok(Some(i64::MAX)));
        assert_eq!(number("-1e30"), Ok(Some(i64::MIN)));
        assert_eq!(number("18446744073709551615"), Ok(Some(i64::MAX)));
        for bad in ["12000.5", "\"12000\"", "true", "[1]", "{}"] {
            let refused = number(bad).err().unwrap_or_default();
            assert!(
                refused.starts_with(WHOLE_NUMBER_MESSAGE),
                "{bad}: {refused}"
            );
        }
    }

    #[test]
    fn dates_are_exactly_yyyy_mm_dd() {
        assert!(matches!(
            serde_json::from_str::<Body>("{}"),
            Ok(Body { date: None, .. })
        ));
        assert_eq!(date("null"), Ok(Some(None)));
        assert_eq!(
            date("\"2026-02-28\""),
            Ok(Some(NaiveDate::from_ymd_opt(2026, 2, 28)))
        );
        for bad in [
            "\"2026-02-30\"",
            "\"2026-2-28\"",
            "\"2026-02-28x\"",
            "\" 2026-02-28\"",
            "\"+2026-02-28\"",
            "\"2026-02-28T00:00:00Z\"",
            "\"２０２６-02-28\"",
            "\"\"",
            "20260228",
            "true",
            "[]",
        ] {
            let refused = date(bad).err().unwrap_or_default();
            assert!(refused.starts_with(DATE_MESSAGE), "{bad}: {refused}");
        }
    }
}
