//! Settings, read once at start-up from defaults, an optional TOML file (`LABNET_CONFIG`)
//! and the environment (which wins), then validated.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

use crate::db::DatabaseUrl;

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
    /// `LOG_FORMAT`: `text` or `json`.
    pub log_format: LogFormat,
}

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
            log_format: LogFormat::Text,
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
        let settings: Settings = figment
            .merge(Env::prefixed("LABNET_").only(&[
                "bind",
                "pool_size",
                "body_limit",
                "body_timeout",
                "max_connections",
                "cors_origins",
                "shutdown_timeout",
                "workers",
            ]))
            .merge(Env::raw().only(&["database_url", "log_format"]))
            .extract()
            .map_err(|e| format!("invalid configuration: {e}"))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), String> {
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
        Ok(())
    }

    pub fn database(&self) -> Result<DatabaseUrl, String> {
        DatabaseUrl::parse(&self.database_url)
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
