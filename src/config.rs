//! Settings, read once at start-up from defaults, an optional TOML file (`LABNET_CONFIG`)
//! and the environment (which wins), then validated.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

use crate::core::auth::Role;
use crate::db::{DatabaseUrl, DbTimeouts};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Every setting, with its environment variable.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    /// `DATABASE_URL`: `sqlite://PATH` or `postgres://…`.
    pub database_url: String,
    /// `LABNET_BIND`: address and port to listen on.
    pub bind: String,
    /// `LABNET_POOL_SIZE`: database connections per instance.
    pub pool_size: u32,
    /// `LABNET_BODY_LIMIT`: largest accepted request body, in bytes.
    pub body_limit: usize,
    /// `LABNET_BODY_TIMEOUT`: seconds a request body may take to arrive (then 408).
    pub body_timeout: u64,
    /// `LABNET_MAX_CONNECTIONS`: open client connections per instance; more wait in the
    /// listen queue until one closes.
    pub max_connections: usize,
    /// `LABNET_CORS_ORIGINS`: comma-separated allowed browser origins, `*` for any, empty for none.
    pub cors_origins: String,
    /// `LABNET_SHUTDOWN_TIMEOUT`: seconds in-flight requests get to finish on SIGTERM/SIGINT.
    pub shutdown_timeout: u64,
    /// `LABNET_WORKERS`: HTTP worker threads (0 = two per core: a worker waits out the
    /// lookups it runs itself, `db::lookup`).
    pub workers: usize,
    /// `LABNET_DB_TIMEOUT`: seconds a request may wait on the database in all (for a
    /// connection, then for its statements) before it is answered 503.
    pub db_timeout: u64,
    /// `LABNET_DB_STATEMENT_TIMEOUT`: seconds one statement may run: PostgreSQL's
    /// `statement_timeout`, SQLite's busy timeout.
    pub db_statement_timeout: u64,
    /// `LABNET_DB_CONNECT_TIMEOUT`: seconds to open a database connection (libpq's
    /// `connect_timeout`) or to wait for one from the pool.
    pub db_connect_timeout: u64,
    /// `LABNET_DB_TCP_USER_TIMEOUT`: seconds sent data may stay unacknowledged before the
    /// connection is given up (libpq's `tcp_user_timeout`).
    pub db_tcp_user_timeout: u64,
    /// `LOG_FORMAT`: `text` or `json`.
    pub log_format: LogFormat,
    /// `LABNET_PUBLIC_URL`: the absolute http(s) URL clients reach the service at (scheme,
    /// host, port, and a path prefix if a proxy adds one), named in the `servers` of the
    /// served OpenAPI document so generated clients and Swagger UI call the right address.
    pub public_url: String,
    /// `LABNET_JWT_ISSUER`: the `iss` of accepted JWT bearer tokens; empty turns tokens off
    /// (API keys only). Needs `LABNET_JWT_AUDIENCE` and at least one key source.
    pub jwt_issuer: String,
    /// `LABNET_JWT_AUDIENCE`: the value the tokens' `aud` must hold (this service's name at
    /// the identity provider).
    pub jwt_audience: String,
    /// `LABNET_JWT_HS256_SECRET`: shared secret of HS256 tokens, at least 32 bytes; empty
    /// refuses HS256.
    pub jwt_hs256_secret: Secret,
    /// `LABNET_JWT_PUBLIC_KEY_FILE`: PEM file holding the RSA public key of RS256 tokens.
    pub jwt_public_key_file: String,
    /// `LABNET_JWT_JWKS_URL`: http(s) URL of the identity provider's JWKS; its RSA keys
    /// verify RS256 tokens, chosen by the token's `kid`.
    pub jwt_jwks_url: String,
    /// `LABNET_JWT_JWKS_REFRESH`: seconds between two fetches of the JWKS.
    pub jwt_jwks_refresh: u64,
    /// `LABNET_JWT_ROLE_CLAIM`: the claim naming the caller's role (a string or an array of
    /// strings); a dotted name reaches into nested objects (`realm_access.roles`).
    pub jwt_role_claim: String,
    /// `LABNET_JWT_ROLE_MAP`: `value=role,...` mapping the identity provider's values of the
    /// role claim to `reader`, `editor` or `admin`; empty: the claim holds those names.
    pub jwt_role_map: String,
    /// `LABNET_JWT_REGIONS_CLAIM`: the claim listing the region ids an editor may write in;
    /// absent from a token: every region.
    pub jwt_regions_claim: String,
    /// `LABNET_JWT_GLOBAL_CLAIM`: the boolean claim allowing writes to rows in no region
    /// (implied when the regions claim is absent).
    pub jwt_global_claim: String,
    /// `LABNET_JWT_LEEWAY`: seconds of clock skew allowed on `exp` and `nbf`.
    pub jwt_leeway: u64,
    /// `LABNET_PUBLIC_READ`: `true` lets callers without credentials make every GET of the
    /// registry; writes always need credentials.
    pub public_read: bool,
    /// `LABNET_KEY_CACHE_SECONDS`: how long an instance trusts what it read about an API key;
    /// a key revoked (or made) through another instance is honoured here within this time.
    pub key_cache_seconds: u64,
    /// `LABNET_RATE_LIMIT_PER_KEY`: requests per minute each authenticated caller (an API
    /// key, or a token's subject) may make to one instance; 0 = unlimited.
    pub rate_limit_per_key: u32,
    /// `LABNET_RATE_LIMIT_ANONYMOUS`: requests per minute each client address may make to
    /// one instance without credentials; 0 = unlimited.
    pub rate_limit_anonymous: u32,
    /// `LABNET_RATE_LIMIT_BURST`: most requests a caller or address may send at once, out
    /// of its per-minute quota, before it is held to the steady rate; 0 = the whole quota.
    pub rate_limit_burst: u32,
    /// `LABNET_RATE_LIMIT_CLIENTS`: most callers and most addresses (each) whose usage one
    /// instance remembers; past it, the idle ones are forgotten first.
    pub rate_limit_clients: usize,
    /// `LABNET_TRUSTED_PROXIES`: comma-separated addresses or CIDR networks of reverse
    /// proxies whose `X-Forwarded-For` names the client; empty = none, the peer address is
    /// the client.
    pub trusted_proxies: String,
}

/// A setting that must not show up in logs or debug output.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "\"***\"" })
    }
}

/// Bounds of the JWT settings.
pub const JWT_MIN_SECRET_BYTES: usize = 32;
pub const JWT_MAX_LEEWAY: u64 = 300;
pub const JWT_MAX_JWKS_REFRESH: u64 = 24 * 60 * 60;

/// The address `cargo run` serves with the default settings; the committed OpenAPI
/// document names it.
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: "sqlite://data/labnet.db".to_owned(),
            bind: "127.0.0.1:8080".to_owned(),
            pool_size: 8,
            body_limit: 1024 * 1024,
            body_timeout: 10,
            max_connections: 2048,
            cors_origins: String::new(),
            shutdown_timeout: 30,
            workers: 0,
            db_timeout: 10,
            db_statement_timeout: 5,
            db_connect_timeout: 3,
            db_tcp_user_timeout: 10,
            log_format: LogFormat::Text,
            public_url: DEFAULT_PUBLIC_URL.to_owned(),
            jwt_issuer: String::new(),
            jwt_audience: String::new(),
            jwt_hs256_secret: Secret::default(),
            jwt_public_key_file: String::new(),
            jwt_jwks_url: String::new(),
            jwt_jwks_refresh: 300,
            jwt_role_claim: "labnet_role".to_owned(),
            jwt_role_map: String::new(),
            jwt_regions_claim: "labnet_regions".to_owned(),
            jwt_global_claim: "labnet_global".to_owned(),
            jwt_leeway: 30,
            public_read: false,
            key_cache_seconds: 5,
            rate_limit_per_key: 6000,
            rate_limit_anonymous: 600,
            rate_limit_burst: 0,
            rate_limit_clients: 100_000,
            trusted_proxies: String::new(),
        }
    }
}

impl Settings {
    /// Reads the settings; fails with a message naming the bad setting.
    pub fn load() -> Result<Self, String> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Ok(path) = std::env::var("LABNET_CONFIG") {
            if !std::path::Path::new(&path).exists() {
                return Err(format!("LABNET_CONFIG names {path}, which does not exist"));
            }
            figment = figment.merge(Toml::file(path));
        }
        let mut settings: Settings = figment
            .merge(Env::prefixed("LABNET_").only(&[
                "bind",
                "pool_size",
                "body_limit",
                "body_timeout",
                "max_connections",
                "cors_origins",
                "shutdown_timeout",
                "workers",
                "public_url",
                "db_timeout",
                "db_statement_timeout",
                "db_connect_timeout",
                "db_tcp_user_timeout",
                "jwt_issuer",
                "jwt_audience",
                "jwt_public_key_file",
                "jwt_jwks_url",
                "jwt_jwks_refresh",
                "jwt_role_claim",
                "jwt_role_map",
                "jwt_regions_claim",
                "jwt_global_claim",
                "jwt_leeway",
                "public_read",
                "key_cache_seconds",
                "rate_limit_per_key",
                "rate_limit_anonymous",
                "rate_limit_burst",
                "rate_limit_clients",
                "trusted_proxies",
            ]))
            .merge(Env::raw().only(&["database_url", "log_format"]))
            .extract()
            .map_err(|e| format!("invalid configuration: {e}"))?;
        // Taken as it is: the environment provider would read a secret of digits as a
        // number (and refuse it, or drop its leading zeros).
        if let Ok(secret) = std::env::var("LABNET_JWT_HS256_SECRET") {
            settings.jwt_hs256_secret = Secret(secret);
        }
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), String> {
        if self.key_cache_seconds > 300 {
            return Err(
                "LABNET_KEY_CACHE_SECONDS must be at most 300: a revoked key would work on for longer"
                    .to_owned(),
            );
        }
        DatabaseUrl::parse(&self.database_url).map_err(|e| format!("DATABASE_URL: {e}"))?;
        if self.pool_size == 0 {
            return Err("LABNET_POOL_SIZE must be at least 1".to_owned());
        }
        if self.body_timeout == 0 {
            return Err("LABNET_BODY_TIMEOUT must be at least 1 second".to_owned());
        }
        if self.max_connections == 0 {
            return Err("LABNET_MAX_CONNECTIONS must be at least 1".to_owned());
        }
        if self.body_limit < 1024 {
            return Err("LABNET_BODY_LIMIT must be at least 1024 bytes".to_owned());
        }
        check_public_url(&self.public_url)?;
        if self.rate_limit_clients == 0 {
            return Err("LABNET_RATE_LIMIT_CLIENTS must be at least 1".to_owned());
        }
        self.trusted_proxy_list()?;
        for (name, seconds) in [
            ("LABNET_DB_TIMEOUT", self.db_timeout),
            ("LABNET_DB_STATEMENT_TIMEOUT", self.db_statement_timeout),
            ("LABNET_DB_CONNECT_TIMEOUT", self.db_connect_timeout),
            ("LABNET_DB_TCP_USER_TIMEOUT", self.db_tcp_user_timeout),
        ] {
            if seconds == 0 {
                return Err(format!("{name} must be at least 1 second"));
            }
        }
        if self.db_statement_timeout > self.db_timeout {
            return Err(format!(
                "LABNET_DB_STATEMENT_TIMEOUT ({} s) must not exceed LABNET_DB_TIMEOUT ({} s): \
                 a request gives up on the database after LABNET_DB_TIMEOUT",
                self.db_statement_timeout, self.db_timeout
            ));
        }
        self.check_jwt()?;
        Ok(())
    }

    /// Whether JWT bearer tokens are accepted.
    pub fn jwt_enabled(&self) -> bool {
        !self.jwt_issuer.is_empty()
    }

    /// The JWT settings agree with each other: an issuer with an audience and a key source,
    /// or no JWT setting at all (a key source without an issuer would be silently unused).
    pub fn check_jwt(&self) -> Result<(), String> {
        let sources = [
            ("LABNET_JWT_HS256_SECRET", !self.jwt_hs256_secret.is_empty()),
            (
                "LABNET_JWT_PUBLIC_KEY_FILE",
                !self.jwt_public_key_file.is_empty(),
            ),
            ("LABNET_JWT_JWKS_URL", !self.jwt_jwks_url.is_empty()),
        ];
        if !self.jwt_enabled() {
            let given = std::iter::once(("LABNET_JWT_AUDIENCE", !self.jwt_audience.is_empty()))
                .chain(sources)
                .chain([("LABNET_JWT_ROLE_MAP", !self.jwt_role_map.is_empty())])
                .filter(|(_, set)| *set)
                .map(|(name, _)| name)
                .collect::<Vec<_>>();
            if !given.is_empty() {
                return Err(format!(
                    "{} set without LABNET_JWT_ISSUER: set the issuer to accept JWT bearer \
                     tokens, or unset them",
                    given.join(", ")
                ));
            }
            return Ok(());
        }
        if self.jwt_issuer.trim() != self.jwt_issuer {
            return Err("LABNET_JWT_ISSUER must not begin or end with spaces".to_owned());
        }
        if self.jwt_audience.is_empty() {
            return Err("LABNET_JWT_AUDIENCE is required with LABNET_JWT_ISSUER".to_owned());
        }
        if !sources.iter().any(|(_, set)| *set) {
            return Err(
                "LABNET_JWT_ISSUER needs a key source: LABNET_JWT_HS256_SECRET, \
                 LABNET_JWT_PUBLIC_KEY_FILE or LABNET_JWT_JWKS_URL"
                    .to_owned(),
            );
        }
        let secret = self.jwt_hs256_secret.expose();
        if !secret.is_empty() && secret.len() < JWT_MIN_SECRET_BYTES {
            return Err(format!(
                "LABNET_JWT_HS256_SECRET must be at least {JWT_MIN_SECRET_BYTES} bytes long"
            ));
        }
        if !self.jwt_jwks_url.is_empty() {
            let url = url::Url::parse(&self.jwt_jwks_url).ok();
            if !url.is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host()) {
                return Err("LABNET_JWT_JWKS_URL must be an absolute http or https URL".to_owned());
            }
        }
        if !(1..=JWT_MAX_JWKS_REFRESH).contains(&self.jwt_jwks_refresh) {
            return Err(format!(
                "LABNET_JWT_JWKS_REFRESH must be between 1 and {JWT_MAX_JWKS_REFRESH} seconds"
            ));
        }
        if self.jwt_leeway > JWT_MAX_LEEWAY {
            return Err(format!(
                "LABNET_JWT_LEEWAY must be at most {JWT_MAX_LEEWAY} seconds"
            ));
        }
        for (name, claim) in [
            ("LABNET_JWT_ROLE_CLAIM", &self.jwt_role_claim),
            ("LABNET_JWT_REGIONS_CLAIM", &self.jwt_regions_claim),
            ("LABNET_JWT_GLOBAL_CLAIM", &self.jwt_global_claim),
        ] {
            if claim.trim().is_empty() {
                return Err(format!("{name} must name a claim"));
            }
        }
        self.jwt_role_map()?;
        Ok(())
    }

    /// `LABNET_JWT_ROLE_MAP` as (identity provider's value, role) pairs; empty when unset.
    pub fn jwt_role_map(&self) -> Result<Vec<(String, Role)>, String> {
        parse_role_map(&self.jwt_role_map)
    }

    /// `public_url` without a trailing `/`, so the spec's paths join it without doubling it.
    pub fn public_base_url(&self) -> &str {
        self.public_url.trim_end_matches('/')
    }

    /// How long database work may wait, from the `LABNET_DB_*` settings.
    pub fn db_timeouts(&self) -> DbTimeouts {
        let seconds = std::time::Duration::from_secs;
        DbTimeouts {
            request: seconds(self.db_timeout),
            statement: seconds(self.db_statement_timeout),
            connect: seconds(self.db_connect_timeout),
            tcp_user: seconds(self.db_tcp_user_timeout),
        }
    }

    pub fn database(&self) -> Result<DatabaseUrl, String> {
        DatabaseUrl::parse(&self.database_url)
    }

    /// Whether clients reach the service over TLS (`LABNET_PUBLIC_URL` is https).
    pub fn public_url_is_https(&self) -> bool {
        self.public_url
            .get(..8)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
    }

    /// `LABNET_TRUSTED_PROXIES` as networks; a bare address is a network of one.
    pub fn trusted_proxy_list(&self) -> Result<Vec<ipnet::IpNet>, String> {
        self.trusted_proxies
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<ipnet::IpNet>()
                    .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map(|network| network.trunc())
                    .map_err(|_| {
                        format!(
                            "LABNET_TRUSTED_PROXIES: `{entry}` is neither an IP address nor a \
                             network such as 10.0.0.0/8"
                        )
                    })
            })
            .collect()
    }

    pub fn cors_origin_list(&self) -> Vec<String> {
        self.cors_origins
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// Parses `value=role,value=role`. A value may itself hold `=` (the role is after the last
/// one); naming one value twice is refused, since which role it meant is unclear.
fn parse_role_map(raw: &str) -> Result<Vec<(String, Role)>, String> {
    let mut map: Vec<(String, Role)> = Vec::new();
    for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let refuse = |why: &str| Err(format!("LABNET_JWT_ROLE_MAP entry `{entry}` {why}"));
        let Some((value, role)) = entry.rsplit_once('=') else {
            return refuse("is not `value=role`");
        };
        let (value, role) = (value.trim(), role.trim());
        if value.is_empty() {
            return refuse("maps an empty value");
        }
        let Ok(role) = role.parse::<Role>() else {
            return refuse("names no role: reader, editor or admin");
        };
        if map.iter().any(|(known, _)| known == value) {
            return refuse("maps a value mapped before");
        }
        map.push((value.to_owned(), role));
    }
    Ok(map)
}

/// `LABNET_PUBLIC_URL` is an absolute http(s) URL without query or fragment.
fn check_public_url(raw: &str) -> Result<(), String> {
    let refuse = |why: &str| Err(format!("LABNET_PUBLIC_URL `{raw}` {why}"));
    let Ok(url) = url::Url::parse(raw) else {
        return refuse("is not an absolute URL (e.g. https://labnet.example)");
    };
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return refuse("must be an http or https URL with a host");
    }
    if url.query().is_some() || url.fragment().is_some() {
        return refuse("must not have a query or a fragment");
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::{check_public_url, parse_role_map, Secret, Settings};
    use crate::core::auth::Role;

    fn jwt() -> Settings {
        Settings {
            jwt_issuer: "https://idp.example".to_owned(),
            jwt_audience: "labnet".to_owned(),
            jwt_jwks_url: "https://idp.example/jwks".to_owned(),
            ..Settings::default()
        }
    }

    #[test]
    fn jwt_settings_must_agree() {
        assert!(Settings::default().check_jwt().is_ok());
        assert!(jwt().check_jwt().is_ok());
        let refused = |settings: Settings, needle: &str| {
            let error = settings.check_jwt().unwrap_err();
            assert!(error.contains(needle), "{error}");
        };
        refused(
            Settings {
                jwt_issuer: String::new(),
                ..jwt()
            },
            "LABNET_JWT_AUDIENCE, LABNET_JWT_JWKS_URL set without LABNET_JWT_ISSUER",
        );
        refused(
            Settings {
                jwt_role_map: "staff=reader".to_owned(),
                ..Settings::default()
            },
            "LABNET_JWT_ROLE_MAP set without",
        );
        refused(
            Settings {
                jwt_audience: String::new(),
                ..jwt()
            },
            "LABNET_JWT_AUDIENCE is required",
        );
        refused(
            Settings {
                jwt_jwks_url: String::new(),
                ..jwt()
            },
            "needs a key source",
        );
        refused(
            Settings {
                jwt_hs256_secret: Secret("31 bytes are too few for HS256!".to_owned()),
                ..jwt()
            },
            "at least 32 bytes",
        );
        refused(
            Settings {
                jwt_jwks_url: "idp.example/jwks".to_owned(),
                ..jwt()
            },
            "LABNET_JWT_JWKS_URL",
        );
        refused(
            Settings {
                jwt_jwks_refresh: 0,
                ..jwt()
            },
            "LABNET_JWT_JWKS_REFRESH",
        );
        refused(
            Settings {
                jwt_leeway: 301,
                ..jwt()
            },
            "LABNET_JWT_LEEWAY",
        );
        refused(
            Settings {
                jwt_role_claim: " ".to_owned(),
                ..jwt()
            },
            "LABNET_JWT_ROLE_CLAIM",
        );
        refused(
            Settings {
                jwt_role_map: "staff=owner".to_owned(),
                ..jwt()
            },
            "`staff=owner` names no role",
        );
    }

    #[test]
    fn role_maps_pair_values_with_roles() {
        assert_eq!(parse_role_map("").unwrap(), vec![]);
        assert_eq!(
            parse_role_map(" lab-admins=admin, ,cn=staff=reader ").unwrap(),
            vec![
                ("lab-admins".to_owned(), Role::Admin),
                ("cn=staff".to_owned(), Role::Reader)
            ]
        );
        assert!(parse_role_map("staff").is_err());
        assert!(parse_role_map("=admin").is_err());
        assert!(parse_role_map("staff=reader,staff=admin").is_err());
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let settings = Settings {
            jwt_hs256_secret: Secret("a-shared-secret-of-at-least-32-bytes".to_owned()),
            ..jwt()
        };
        let debug = format!("{settings:?}");
        assert!(!debug.contains("a-shared-secret"), "{debug}");
        assert!(debug.contains("jwt_hs256_secret: \"***\""), "{debug}");
    }

    #[test]
    fn public_urls_are_absolute_http_without_query() {
        assert!(check_public_url("http://127.0.0.1:8080").is_ok());
        assert!(check_public_url("https://labnet.example/api/").is_ok());
        assert!(check_public_url("/").is_err());
        assert!(check_public_url("ftp://labnet.example").is_err());
        assert!(check_public_url("https://labnet.example/?x=1").is_err());
        let settings = Settings {
            public_url: "https://labnet.example/api/".to_owned(),
            ..Settings::default()
        };
        assert_eq!(settings.public_base_url(), "https://labnet.example/api");
        assert!(settings.public_url_is_https());
        assert!(!Settings::default().public_url_is_https());
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        let settings = Settings {
            trusted_proxies: " 127.0.0.1, 10.1.2.3/8 ,::1,fd00::/8".to_owned(),
            ..Settings::default()
        };
        let networks = settings.trusted_proxy_list().unwrap();
        let texts: Vec<String> = networks.iter().map(ToString::to_string).collect();
        assert_eq!(texts, ["127.0.0.1/32", "10.0.0.0/8", "::1/128", "fd00::/8"]);
        assert!(Settings::default().trusted_proxy_list().unwrap().is_empty());
        let bad = Settings {
            trusted_proxies: "proxy.internal".to_owned(),
            ..Settings::default()
        };
        assert!(bad.validate().is_err());
    }
}
