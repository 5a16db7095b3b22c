//! The `DATABASE_URL`: which backend it selects (by scheme), and how to log it without its
//! password. Kept apart from the pool so configuration can parse and validate a URL without
//! opening anything.

use std::path::PathBuf;

/// The backend a `DATABASE_URL` selects, decided by its scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    /// Accepts `postgres://…`, `postgresql://…` and `sqlite://PATH` (relative, or absolute with
    /// a third slash: `sqlite:///var/lib/labnet/labnet.db`).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let trimmed = raw.trim();
        if trimmed.starts_with("postgres://") || trimmed.starts_with("postgresql://") {
            return Ok(Self::Postgres(trimmed.to_owned()));
        }
        if let Some(path) = trimmed
            .strip_prefix("sqlite://")
            .or_else(|| trimmed.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err("sqlite URL has no file path (expected sqlite://PATH)".to_owned());
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        Err(format!(
            "unsupported DATABASE_URL scheme in `{}`: use sqlite://PATH or postgres://…",
            redact(trimmed)
        ))
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Postgres(_) => "postgres",
            Self::Sqlite(_) => "sqlite",
        }
    }
}

/// Hides a password in a URL so it can be logged.
pub fn redact(url: &str) -> String {
    match ::url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::DatabaseUrl;
    use std::path::PathBuf;

    #[test]
    fn database_urls_pick_the_backend_by_scheme() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/labnet.db"),
            Ok(DatabaseUrl::Sqlite(PathBuf::from("data/labnet.db")))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/labnet/labnet.db"),
            Ok(DatabaseUrl::Sqlite(PathBuf::from(
                "/var/lib/labnet/labnet.db"
            )))
        );
        for url in ["postgres://u:p@db:5432/labnet", "postgresql://db/labnet"] {
            assert_eq!(
                DatabaseUrl::parse(url),
                Ok(DatabaseUrl::Postgres(url.to_owned()))
            );
        }
        assert!(DatabaseUrl::parse("sqlite://").is_err());
        let refused = DatabaseUrl::parse("mysql://root:secret@db/labnet");
        assert!(
            refused
                .as_ref()
                .is_err_and(|message| !message.contains("secret")),
            "{refused:?}"
        );
    }
}
