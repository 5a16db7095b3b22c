//! Field rules shared by every resource. Services collect `FieldError`s with `Checks` so
//! one response names every invalid field at once.

use unicode_normalization::UnicodeNormalization;

use crate::core::error::{DomainError, FieldError};

pub mod members;

/// ISO 3166-1 alpha-2, upper case, and an assigned code.
pub fn is_country_code(code: &str) -> bool {
    code.len() == 2
        && code.bytes().all(|b| b.is_ascii_uppercase())
        && isocountry::CountryCode::for_alpha2(code).is_ok()
}

/// The normalized, lower-cased form stored in search columns and compared with `q`: NFKC
/// folds compatibility forms, `to_lowercase` folds every script (Cyrillic included), and
/// `ё` is folded to `е` as Russian text uses them interchangeably.
pub fn search_key(text: &str) -> String {
    text.nfkc()
        .filter(|c| !is_format_character(*c))
        .collect::<String>()
        .to_lowercase()
        .replace('ё', "е")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The uniqueness key of a registry code, also what a `code` filter compares: the code with
/// case folded in every script (upper- then lower-cased, so `ß`/`SS` and `Σ`/`σ`/`ς` meet),
/// format characters dropped and the result in NFC; otherwise as typed (no NFKC, no
/// `ё`/`е`). Codes may hold any script, and SQL's `lower()` folds ASCII only on SQLite but
/// all of Unicode on PostgreSQL (depending on the collation), so the key is computed here and
/// stored, and both backends compare it the same way.
pub fn code_key(code: &str) -> String {
    code.chars()
        .filter(|c| !is_format_character(*c))
        .collect::<String>()
        .to_uppercase()
        .to_lowercase()
        .nfc()
        .collect()
}

/// Invisible characters that only shape how text is shown (Unicode's format characters:
/// zero-width spaces and joiners, the soft hyphen, direction marks, the byte-order mark).
/// Stored text and uniqueness keys drop them, so `Acme\u{200b}` and `Ac\u{ad}me` are
/// `Acme`.
pub fn is_format_character(c: char) -> bool {
    matches!(c,
        '\u{ad}' | '\u{61c}' | '\u{180e}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206f}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}')
}

/// Whether a text may span lines: names, codes and addresses are one line; notes may hold
/// line breaks and tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    One,
    Several,
}

/// Text as it is stored: Unicode NFC, without format characters, trimmed. `None` when it
/// holds a control character (tabs, line breaks, escapes and the like), which no name,
/// code or note of the registry carries.
pub fn normalized_text(text: &str, lines: Lines) -> Option<String> {
    let text: String = text.nfc().filter(|c| !is_format_character(*c)).collect();
    let allowed = |c: char| lines == Lines::Several && matches!(c, '\n' | '\r' | '\t');
    if text
        .chars()
        .any(|c| (c.is_control() && !allowed(c)) || matches!(c, '\u{2028}' | '\u{2029}'))
    {
        return None;
    }
    Some(text.trim().to_owned())
}

/// The words `q` matches: `search_key`'s normalized text split at every character that is
/// not a letter or a digit, without repeats, in order of first appearance. `"RU-KGN 2"`
/// gives `ru`, `kgn`, `2`. The numero sign separates words too (NFKC would make `№5` the
/// word `no5`), so `№5` and `5` both find laboratory №5.
pub fn search_terms(text: &str) -> Vec<String> {
    let normalized = search_key(&text.replace('№', " "));
    let mut terms: Vec<String> = Vec::new();
    for word in normalized.split(|c: char| !c.is_alphanumeric()) {
        if !word.is_empty() && !terms.iter().any(|t| t == word) {
            terms.push(word.to_owned());
        }
    }
    terms
}

/// The words of a resource known by a name and a code: `q` matches words of either.
pub fn name_and_code_terms(name: &str, code: &str) -> Vec<String> {
    search_terms(&format!("{name} {code}"))
}

/// The search column of a resource searched by `LIKE`: each word preceded by a space, so
/// that "a word starts with `term`" is the pattern `% term%` (see `word_prefix_pattern`).
pub fn search_column(terms: &[String]) -> String {
    let mut column = String::with_capacity(terms.iter().map(|t| t.len() + 1).sum());
    for term in terms {
        column.push(' ');
        column.push_str(term);
    }
    column
}

/// Collects field errors while a body is checked.
#[derive(Debug, Default)]
pub struct Checks {
    errors: Vec<FieldError>,
    /// Errors beyond `MAX_LISTED_ERRORS`, counted but not listed.
    unlisted: usize,
}

/// The years a date may fall in, in bodies and in query parameters alike.
pub const DATE_YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

/// Whether a date falls in `DATE_YEARS`.
pub fn date_in_range(date: chrono::NaiveDate) -> bool {
    use chrono::Datelike;
    DATE_YEARS.contains(&date.year())
}

/// What a date outside `DATE_YEARS` is told.
pub fn date_range_message() -> String {
    format!(
        "must be a date in the years {} to {}",
        DATE_YEARS.start(),
        DATE_YEARS.end()
    )
}

/// Most field errors one response lists; a body with more says how many it left out, so a
/// large bad body cannot make a larger answer.
pub const MAX_LISTED_ERRORS: usize = 50;

impl Checks {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, field: &str, code: &str, message: impl Into<String>) {
        if self.errors.len() < MAX_LISTED_ERRORS {
            self.errors.push(FieldError::new(field, code, message));
        } else {
            self.unlisted += 1;
        }
    }

    /// Trims a required text and checks it is not blank and not longer than `max` characters.
    pub fn text(&mut self, field: &str, value: &str, max: usize) -> String {
        let Some(trimmed) = self.normalized(field, value, Lines::One) else {
            return value.to_owned();
        };
        if trimmed.is_empty() {
            self.push(field, "required", "must not be blank");
        } else {
            self.length(field, value, &trimmed, max);
        }
        trimmed
    }

    /// At most `max` characters, counted both as sent (what the spec's `maxLength` counts)
    /// and as stored.
    fn length(&mut self, field: &str, sent: &str, stored: &str, max: usize) {
        if sent.chars().count() > max || stored.chars().count() > max {
            self.push(
                field,
                "too_long",
                format!("must be at most {max} characters"),
            );
        }
    }

    /// `normalized_text`, or `None` with the field refused for a control character.
    fn normalized(&mut self, field: &str, value: &str, lines: Lines) -> Option<String> {
        let normalized = normalized_text(value, lines);
        if normalized.is_none() {
            self.push(
                field,
                "invalid",
                "must not contain control characters (tabs, line breaks, escapes)",
            );
        }
        normalized
    }

    /// Like `text` for an optional value; a blank value becomes `null`.
    pub fn optional_text(
        &mut self,
        field: &str,
        value: Option<&str>,
        max: usize,
    ) -> Option<String> {
        self.optional_lines(field, value, max, Lines::One)
    }

    /// Like `optional_text` for a text that may span lines (a note).
    pub fn optional_note(
        &mut self,
        field: &str,
        value: Option<&str>,
        max: usize,
    ) -> Option<String> {
        self.optional_lines(field, value, max, Lines::Several)
    }

    fn optional_lines(
        &mut self,
        field: &str,
        value: Option<&str>,
        max: usize,
        lines: Lines,
    ) -> Option<String> {
        let value = value?;
        let Some(trimmed) = self.normalized(field, value, lines) else {
            return Some(value.to_owned());
        };
        if trimmed.is_empty() && value.chars().count() <= max {
            return None;
        }
        self.length(field, value, &trimmed, max);
        Some(trimmed)
    }

    /// An assigned ISO 3166-1 alpha-2 code, exactly as the spec's pattern `^[A-Z]{2}$` has
    /// it: two upper-case letters, nothing around them.
    pub fn country_code(&mut self, field: &str, value: &str) -> String {
        if !is_country_code(value) {
            self.push(
                field,
                "invalid",
                "must be an assigned ISO 3166-1 alpha-2 country code: two upper-case letters \
                 (e.g. RU, KZ)",
            );
        }
        value.to_owned()
    }

    pub fn range_f64(&mut self, field: &str, value: Option<f64>, min: f64, max: f64) {
        if let Some(v) = value {
            if !v.is_finite() || v < min || v > max {
                self.push(
                    field,
                    "out_of_range",
                    format!("must be between {min} and {max}"),
                );
            }
        }
    }

    pub fn range_i64(&mut self, field: &str, value: Option<i64>, min: i64, max: i64) {
        if let Some(v) = value {
            if v < min || v > max {
                self.push(
                    field,
                    "out_of_range",
                    format!("must be between {min} and {max}"),
                );
            }
        }
    }

    /// A date within the years the registry records (`DATE_YEARS`): both backends store
    /// and compare such dates alike.
    pub fn date(&mut self, field: &str, value: Option<chrono::NaiveDate>) {
        if value.is_some_and(|date| !date_in_range(date)) {
            self.push(field, "out_of_range", date_range_message());
        }
    }

    /// An absolute http(s) URL.
    pub fn url(&mut self, field: &str, value: Option<&str>) -> Option<String> {
        let raw = self.optional_text(field, value, 2048)?;
        match url::Url::parse(&raw) {
            Ok(parsed)
                if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() =>
            {
                Some(raw)
            }
            _ => {
                self.push(field, "invalid", "must be an absolute http or https URL");
                Some(raw)
            }
        }
    }

    /// Rejects duplicates in a list field.
    pub fn unique_list<T: PartialEq + std::fmt::Display>(&mut self, field: &str, values: &[T]) {
        for (index, value) in values.iter().enumerate() {
            if values[..index].contains(value) {
                self.push(
                    &format!("{field}[{index}]"),
                    "duplicate",
                    format!("`{value}` is listed twice"),
                );
            }
        }
    }

    /// A required member of a merge patch: absent keeps `current`, a value replaces it, and
    /// `null` is refused (the field cannot be cleared).
    pub fn patched<T>(&mut self, field: &str, value: Option<Option<T>>, current: T) -> T {
        match value {
            None => current,
            Some(Some(v)) => v,
            Some(None) => {
                self.push(field, "required", "cannot be null");
                current
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// `Ok` when nothing failed, else a 422 naming every field.
    pub fn finish(self) -> Result<(), DomainError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            let mut errors = self.errors;
            if self.unlisted > 0 {
                errors.push(FieldError::new(
                    "body",
                    "too_many_errors",
                    format!("{} more invalid fields are not listed", self.unlisted),
                ));
            }
            Err(DomainError::Validation(errors))
        }
    }
}

/// Deserializes a JSON Merge Patch member: absent → `None`, `null` → `Some(None)`,
/// a value → `Some(Some(value))`.
pub fn merge_patch_field<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    use serde::Deserialize;
    Option::<T>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::{code_key, name_and_code_terms, search_column, search_terms};

    #[test]
    fn search_terms_are_normalized_words_without_repeats() {
        assert_eq!(
            search_terms("Клинико-диагностическая ЛАБОРАТОРИЯ №1 «Ёлка»"),
            ["клинико", "диагностическая", "лаборатория", "1", "елка"]
        );
        assert_eq!(
            name_and_code_terms("Пункт 7", "RU-KGN-7"),
            ["пункт", "7", "ru", "kgn"]
        );
        assert_eq!(search_terms("Ақтөбе　ＡＢＣ"), ["ақтөбе", "abc"]);
        assert!(search_terms("% _ — !").is_empty());
    }

    #[test]
    fn code_keys_fold_case_in_every_script() {
        assert_eq!(code_key("KGN-001"), code_key("kgn-001"));
        assert_eq!(code_key("Kgn-001"), "kgn-001");
        assert_eq!(code_key("КДЛ-Ё1"), code_key("кдл-ё1"));
        assert_ne!(code_key("кдл-ё1"), code_key("кдл-е1"));
        assert_eq!(code_key("STRASSE-1"), code_key("straße-1"));
        assert_eq!(code_key("ΟΔΟΣ"), code_key("οδοσ"));
        assert_eq!(code_key("K\u{200b}GN"), "kgn");
        // Decomposed and composed forms meet.
        assert_eq!(code_key("И\u{306}1"), code_key("й1"));
    }

    #[test]
    fn search_columns_put_a_space_before_each_word() {
        let terms = search_terms("Samsung Medison");
        assert_eq!(search_column(&terms), " samsung medison");
        assert_eq!(search_column(&[]), "");
    }
}
