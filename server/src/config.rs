//! Configuration: a working default for everything, environment overrides.

use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Config {
    /// `HAOCHA_ADDR`, default 127.0.0.1:3000.
    pub addr: SocketAddr,
    /// `HAOCHA_DATABASE_URL`, default an SQLite file under ./data/.
    pub database_url: String,
    /// `HAOCHA_PUBLIC_URL`: the address phones reach the server at, used in QR
    /// codes and links. Default `http://{addr}`.
    pub public_url: String,
    /// `HAOCHA_TOKEN_TTL_HOURS`: how long a dynamic QR stays valid, default 24.
    pub token_ttl_hours: i64,
    /// `LEPTOS_SITE_ROOT` (set by cargo-leptos), default target/site.
    pub site_root: PathBuf,
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/haocha.db?mode=rwc";

impl Config {
    pub fn from_env() -> Result<Config, String> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let addr_s = var("HAOCHA_ADDR")
            .or_else(|| var("LEPTOS_SITE_ADDR"))
            .unwrap_or_else(|| "127.0.0.1:3000".into());
        let addr: SocketAddr = addr_s
            .parse()
            .map_err(|_| format!("HAOCHA_ADDR `{addr_s}` is not an address like 127.0.0.1:3000"))?;
        let token_ttl_hours = match var("HAOCHA_TOKEN_TTL_HOURS") {
            None => 24,
            Some(v) => match v.parse::<i64>() {
                Ok(h) if (1..=24 * 365).contains(&h) => h,
                _ => {
                    return Err(format!(
                        "HAOCHA_TOKEN_TTL_HOURS `{v}` must be a whole number of hours between 1 and 8760"
                    ))
                }
            },
        };
        Ok(Config {
            addr,
            database_url: var("HAOCHA_DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into()),
            public_url: var("HAOCHA_PUBLIC_URL")
                .map(|u| u.trim_end_matches('/').to_string())
                .unwrap_or_else(|| format!("http://{addr}")),
            token_ttl_hours,
            site_root: var("LEPTOS_SITE_ROOT")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("target/site")),
        })
    }

    pub fn token_ttl(&self) -> chrono::Duration {
        chrono::Duration::hours(self.token_ttl_hours)
    }
}
