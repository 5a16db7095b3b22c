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

/// `url` with libpq parameters added where it sets none of its own: each of `parameters`
/// (`connect_timeout=3`) unless the URL names it or its environment variable is set, and
/// `settings` as server settings (`-c statement_timeout=5000`) at the front of `options`,
/// so that any the URL's own `options` (or `PGOPTIONS`) set come later and win.
pub fn with_libpq_defaults(
    url: &str,
    parameters: &[(&str, String)],
    settings: &[(&str, String)],
) -> String {
    with_libpq_defaults_in(url, parameters, settings, |name| {
        std::env::var_os(name).is_some_and(|value| !value.is_empty())
    })
}

/// The libpq environment variables that stand in for a URL parameter.
const PARAMETER_VARIABLES: &[(&str, &str)] = &[("connect_timeout", "PGCONNECT_TIMEOUT")];

fn with_libpq_defaults_in(
    url: &str,
    parameters: &[(&str, String)],
    settings: &[(&str, String)],
    env_set: impl Fn(&str) -> bool,
) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut pairs: Vec<String> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(str::to_owned)
        .collect();
    let position = |pairs: &[String], key: &str| {
        pairs
            .iter()
            .position(|pair| pair.split('=').next() == Some(key))
    };
    for (key, value) in parameters {
        let from_env = PARAMETER_VARIABLES
            .iter()
            .any(|(parameter, variable)| parameter == key && env_set(variable));
        if position(&pairs, key).is_none() && !from_env {
            pairs.push(format!("{key}={}", encode(value)));
        }
    }
    if !settings.is_empty() {
        let mut options = settings
            .iter()
            .map(|(name, value)| format!("-c {name}={value}"))
            .collect::<Vec<_>>()
            .join(" ");
        match position(&pairs, "options") {
            Some(index) => {
                let theirs = pairs[index].split_once('=').map_or("", |(_, v)| v);
                pairs[index] = format!("options={}%20{theirs}", encode(&options));
            }
            None => {
                // The URL's `options` replaces `PGOPTIONS`; carry it over, after ours.
                if env_set("PGOPTIONS") {
                    if let Ok(theirs) = std::env::var("PGOPTIONS") {
                        options = format!("{options} {theirs}");
                    }
                }
                pairs.push(format!("options={}", encode(&options)));
            }
        }
    }
    if pairs.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", pairs.join("&"))
    }
}

/// Percent-encodes a URI query value the way libpq decodes it (`%XX` only: a `+` would stay
/// a plus sign).
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
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
    use super::{with_libpq_defaults_in, DatabaseUrl};
    use std::path::PathBuf;

    fn defaults(url: &str, env: &[&str]) -> String {
        with_libpq_defaults_in(
            url,
            &[
                ("connect_timeout", "3".to_owned()),
                ("tcp_user_timeout", "10000".to_owned()),
            ],
            &[
                ("statement_timeout", "5000".to_owned()),
                ("idle_in_transaction_session_timeout", "10000".to_owned()),
            ],
            |name| env.contains(&name),
        )
    }

    #[test]
    fn libpq_defaults_are_added_unless_the_url_sets_them() {
        let ours = "options=-c%20statement_timeout%3D5000%20-c%20idle_in_transaction_session_timeout%3D10000";
        assert_eq!(
            defaults("postgres://u:p@db:5432/labnet", &[]),
            format!(
                "postgres://u:p@db:5432/labnet?connect_timeout=3&tcp_user_timeout=10000&{ours}"
            )
        );
        // The URL's own parameters stay as they are, and its server settings come last.
        assert_eq!(
            defaults(
                "postgres://db/labnet?sslmode=require&tcp_user_timeout=2500&options=-c%20statement_timeout%3D0",
                &[]
            ),
            format!(
                "postgres://db/labnet?sslmode=require&tcp_user_timeout=2500&{ours}%20-c%20statement_timeout%3D0&connect_timeout=3"
            )
        );
        // Nor do they override libpq's environment variables.
        assert_eq!(
            defaults("postgres://db/labnet", &["PGCONNECT_TIMEOUT"]),
            format!("postgres://db/labnet?tcp_user_timeout=10000&{ours}")
        );
    }

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
