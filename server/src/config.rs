//! Configuration: a working default for everything, then `haocha.toml`, then
//! environment variables, each overriding the one before.
//!
//! `haocha.toml` is read from `HAOCHA_CONFIG` when set (it must exist), else
//! from the working directory when present. Its keys are the variables' names
//! without `HAOCHA_`, in lower case (`addr`, `database_url`, `public_url`, …);
//! an unknown key is an error, so a misspelt setting is never silently ignored.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Every setting the README's table names, as `haocha.toml` spells it.
pub const KEYS: &[&str] = &[
    "addr",
    "database_url",
    "public_url",
    "token_ttl_hours",
    "static_repeat_minutes",
    "static_burst",
    "trust_forwarded",
    "job_seconds",
    "max_connections",
    "max_streams_per_address",
    "read_connections",
    "sms_url",
    "sms_template",
    "sms_timeout_ms",
    "sms_inbound_secret",
    "hotline_secret",
    "metrics_token",
    "exchange_url",
    "exchange_app_mark",
    "exchange_secret",
    "exchange_sign",
    "exchange_timeout_ms",
    "exchange_inbound",
    "device_dir",
    "data_key",
    "data_key_file",
];

/// What to do when the data-key file does not exist yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFile {
    /// `serve`, `migrate` and `demo`: create it (mode 0600) on first start.
    Create,
    /// Every other command touches no phone number: a key held in memory only,
    /// nothing written (so tests and one-off commands leave no key files).
    InMemory,
}

/// The settings file's values, as text.
#[derive(Debug, Default)]
struct FileSettings {
    values: BTreeMap<String, String>,
}

impl FileSettings {
    fn read() -> Result<FileSettings, String> {
        let named = std::env::var("HAOCHA_CONFIG").ok().filter(|v| !v.trim().is_empty());
        let path = match named {
            Some(p) => PathBuf::from(p),
            None if Path::new("haocha.toml").exists() => PathBuf::from("haocha.toml"),
            None => return Ok(FileSettings::default()),
        };
        let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        FileSettings::parse(&path, &text)
    }

    fn parse(path: &Path, text: &str) -> Result<FileSettings, String> {
        let table: toml::Table = toml::from_str(text).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut values = BTreeMap::new();
        for (k, v) in table {
            if !KEYS.contains(&k.as_str()) {
                return Err(format!("{}: unknown setting `{k}` (known: {})", path.display(), KEYS.join(", ")));
            }
            let text = match v {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Boolean(b) => if b { "1" } else { "0" }.to_string(),
                other => {
                    return Err(format!(
                        "{}: `{k}` must be text, a number or true/false, not {other}",
                        path.display()
                    ))
                }
            };
            values.insert(k, text);
        }
        Ok(FileSettings { values })
    }
}

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
    /// `HAOCHA_DATA_KEY` (64 hex digits) seals applicant phone numbers at rest.
    /// Without it the key is read from `HAOCHA_DATA_KEY_FILE` (default: beside the
    /// SQLite file, or `data/haocha.key`), which is created on first start.
    pub data_key: store::crypto::DataKey,
    /// Static QR repeat rules: `HAOCHA_STATIC_REPEAT_MINUTES` (same browser, same
    /// place; default 30) and `HAOCHA_STATIC_BURST` (ratings from one address in
    /// 10 minutes before the rest are flagged; default 10).
    pub static_limits: store::place_ratings::Limits,
    /// `HAOCHA_DEVICE_DIR`: the kiosk bundle Trunk builds (served at
    /// `/device/app/`), default target/device.
    pub device_dir: PathBuf,
    /// `HAOCHA_SMS_URL`: the SMS gateway's HTTP endpoint; unset, messages stay
    /// in the outbox page (demo). `HAOCHA_SMS_TEMPLATE`: the request body with
    /// `{{id}}`, `{{phone}}`, `{{text}}` (default JSON); `HAOCHA_SMS_TIMEOUT_MS`
    /// (default 5000).
    pub sms_url: Option<String>,
    pub sms_template: String,
    pub sms_timeout_ms: u64,
    /// `HAOCHA_SMS_INBOUND_SECRET` / `HAOCHA_HOTLINE_SECRET`: what the SMS
    /// gateway's and the hotline's webhooks must send (header X-Haocha-Secret);
    /// unset, the webhook is off (404).
    pub sms_inbound_secret: Option<String>,
    pub hotline_secret: Option<String>,
    /// `HAOCHA_METRICS_TOKEN` (16 or more characters): `GET /metrics` answers
    /// only `Authorization: Bearer {token}`; unset, `/metrics` is off (404).
    pub metrics_token: Option<String>,
    /// `HAOCHA_JOB_SECONDS`: how often the background jobs run (default 60).
    pub job_seconds: u64,
    /// `HAOCHA_TRUST_FORWARDED=1` behind a reverse proxy: take the client address
    /// from `X-Forwarded-For` / `X-Real-IP` (audit trail, static-code burst rule).
    pub trust_forwarded: bool,
    /// Header and body timeouts, and `HAOCHA_MAX_CONNECTIONS` (default 4096):
    /// open connections beyond it are answered 503 at once.
    pub serve_limits: crate::serve::Limits,
    /// `HAOCHA_MAX_STREAMS_PER_ADDRESS` (default 64): open event streams
    /// (window screens, evaluators) one address may hold; more are 429.
    pub max_streams_per_address: usize,
    /// `HAOCHA_READ_CONNECTIONS` (default 4): SQLite read-only connections the
    /// GET pages read from, beside the one writer (PostgreSQL: one pool for both).
    pub read_connections: u32,
    /// Issue 15: where ratings and rectifications are pushed
    /// (`HAOCHA_EXCHANGE_URL`, per region), how they are signed
    /// (`HAOCHA_EXCHANGE_APP_MARK`, `HAOCHA_EXCHANGE_SECRET`,
    /// `HAOCHA_EXCHANGE_SIGN`) and `HAOCHA_EXCHANGE_TIMEOUT_MS`. Unset URL:
    /// nothing is pushed, the outbox keeps every record.
    pub exchange: Option<crate::exchange::Platforms>,
    /// `HAOCHA_EXCHANGE_INBOUND`: the platforms that may send ratings to
    /// `POST /api/v1/exchange/inbound`, as `PROFILE[@REGION]=SECRET` entries
    /// (comma-separated): the secret in `X-Haocha-Secret` names the platform,
    /// so the profile its records are read in and the region whose cases it
    /// may rate (none: all). Empty: the endpoint is off.
    pub exchange_inbound: Vec<crate::exchange::InboundPlatform>,
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/haocha.db?mode=rwc";

impl Config {
    /// The settings of environment variables and `haocha.toml`; creates the
    /// data-key file only with [`KeyFile::Create`].
    pub fn load(keys: KeyFile) -> Result<Config, String> {
        let file = FileSettings::read()?;
        Config::from_sources(&file, |k| std::env::var(k).ok(), keys)
    }

    fn from_sources(file: &FileSettings, env: impl Fn(&str) -> Option<String>, keys: KeyFile) -> Result<Config, String> {
        // A variable wins over the file; "HAOCHA_SMS_URL" is `sms_url` in the file.
        let var = |k: &str| {
            env(k).filter(|v| !v.trim().is_empty()).or_else(|| {
                let key = k.strip_prefix("HAOCHA_")?.to_ascii_lowercase();
                file.values.get(&key).filter(|v| !v.trim().is_empty()).cloned()
            })
        };
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
        let database_url = var("HAOCHA_DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
        let data_key = match var("HAOCHA_DATA_KEY") {
            Some(hex) => store::crypto::DataKey::from_hex(&hex).ok_or("HAOCHA_DATA_KEY must be 64 hexadecimal digits (32 bytes)")?,
            None => {
                let file = var("HAOCHA_DATA_KEY_FILE")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| default_key_file(&database_url));
                key_from_file(&file, keys)?
            }
        };
        let mut static_limits = store::place_ratings::Limits::default();
        if let Some(v) = var("HAOCHA_STATIC_REPEAT_MINUTES") {
            let m: i64 = v
                .parse()
                .ok()
                .filter(|m| (0..=7 * 24 * 60).contains(m))
                .ok_or_else(|| format!("HAOCHA_STATIC_REPEAT_MINUTES `{v}` must be minutes between 0 and 10080"))?;
            static_limits.same_browser = chrono::Duration::minutes(m);
        }
        if let Some(v) = var("HAOCHA_STATIC_BURST") {
            static_limits.burst_count = v
                .parse()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| format!("HAOCHA_STATIC_BURST `{v}` must be a whole number from 1"))?;
        }
        let job_seconds = match var("HAOCHA_JOB_SECONDS") {
            None => 60,
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|s| (1..=86_400).contains(s))
                .ok_or_else(|| format!("HAOCHA_JOB_SECONDS `{v}` must be seconds between 1 and 86400"))?,
        };
        let whole = |name: &str, default: usize, max: usize| -> Result<usize, String> {
            match var(name) {
                None => Ok(default),
                Some(v) => v
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=max).contains(n))
                    .ok_or_else(|| format!("{name} `{v}` must be a whole number from 1 to {max}")),
            }
        };
        let serve_limits = crate::serve::Limits {
            max_connections: whole("HAOCHA_MAX_CONNECTIONS", 4096, 1_000_000)?,
            ..Default::default()
        };
        let max_streams_per_address = whole("HAOCHA_MAX_STREAMS_PER_ADDRESS", 64, 100_000)?;
        let read_connections = u32::try_from(whole("HAOCHA_READ_CONNECTIONS", 4, 64)?).unwrap_or(4);
        let metrics_token = match var("HAOCHA_METRICS_TOKEN") {
            Some(t) if t.trim().chars().count() < 16 => return Err("HAOCHA_METRICS_TOKEN must be 16 or more characters".to_string()),
            t => t.map(|t| t.trim().to_string()),
        };
        let sms_timeout_ms = match var("HAOCHA_SMS_TIMEOUT_MS") {
            None => 5000,
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|s| (50..=60_000).contains(s))
                .ok_or_else(|| format!("HAOCHA_SMS_TIMEOUT_MS `{v}` must be milliseconds between 50 and 60000"))?,
        };
        let exchange = match var("HAOCHA_EXCHANGE_URL") {
            None => None,
            Some(urls) => {
                let timeout = match var("HAOCHA_EXCHANGE_TIMEOUT_MS") {
                    None => 10_000,
                    Some(v) => v
                        .parse::<u64>()
                        .ok()
                        .filter(|s| (50..=120_000).contains(s))
                        .ok_or_else(|| format!("HAOCHA_EXCHANGE_TIMEOUT_MS `{v}` must be milliseconds between 50 and 120000"))?,
                };
                Some(crate::exchange::Platforms::parse(
                    &urls,
                    var("HAOCHA_EXCHANGE_APP_MARK").unwrap_or_else(|| "haocha".into()),
                    var("HAOCHA_EXCHANGE_SECRET").ok_or("HAOCHA_EXCHANGE_SECRET must be set with HAOCHA_EXCHANGE_URL")?,
                    var("HAOCHA_EXCHANGE_SIGN").as_deref().unwrap_or("hmac-sm3"),
                    std::time::Duration::from_millis(timeout),
                )?)
            }
        };
        let mut exchange_inbound = Vec::new();
        for entry in var("HAOCHA_EXCHANGE_INBOUND")
            .unwrap_or_default()
            .split([',', ' ', '\n'])
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let shown = entry.split('=').next().unwrap_or_default();
            let platform = entry
                .split_once('=')
                .and_then(|(name, secret)| {
                    let (profile, region) = match name.trim().split_once('@') {
                        Some((p, r)) if !r.is_empty() && r.chars().all(|c| c.is_ascii_digit()) => (p, Some(r.to_string())),
                        Some(_) => return None,
                        None => (name.trim(), None),
                    };
                    Some(crate::exchange::InboundPlatform {
                        profile: domain::exchange::Profile::parse(profile)?,
                        region,
                        secret: secret.trim().to_string(),
                    })
                })
                .filter(|p| p.secret.len() >= 16)
                .ok_or_else(|| {
                    format!(
                        "HAOCHA_EXCHANGE_INBOUND `{shown}=…`: PROFILE[@REGION]=SECRET (gbt39046, province-a or province-b; \
                         a region code; a secret of 16 or more characters)"
                    )
                })?;
            exchange_inbound.push(platform);
        }
        Ok(Config {
            addr,
            exchange,
            exchange_inbound,
            job_seconds,
            serve_limits,
            max_streams_per_address,
            read_connections,
            sms_url: var("HAOCHA_SMS_URL"),
            sms_template: var("HAOCHA_SMS_TEMPLATE").unwrap_or_else(|| crate::sms::DEFAULT_TEMPLATE.into()),
            sms_timeout_ms,
            sms_inbound_secret: var("HAOCHA_SMS_INBOUND_SECRET"),
            hotline_secret: var("HAOCHA_HOTLINE_SECRET"),
            metrics_token,
            data_key,
            static_limits,
            trust_forwarded: matches!(var("HAOCHA_TRUST_FORWARDED").as_deref(), Some("1" | "true" | "yes")),
            database_url,
            public_url: var("HAOCHA_PUBLIC_URL")
                .map(|u| u.trim_end_matches('/').to_string())
                .unwrap_or_else(|| format!("http://{addr}")),
            token_ttl_hours,
            device_dir: var("HAOCHA_DEVICE_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("target/device")),
            site_root: var("LEPTOS_SITE_ROOT")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("target/site")),
        })
    }

    pub fn token_ttl(&self) -> chrono::Duration {
        chrono::Duration::hours(self.token_ttl_hours)
    }
}

/// Beside the SQLite file (so a copied database keeps its key), else `data/haocha.key`.
fn default_key_file(database_url: &str) -> PathBuf {
    let path = database_url
        .strip_prefix("sqlite://")
        .and_then(|r| r.split('?').next())
        .filter(|p| !p.is_empty() && !p.contains(":memory:"));
    match path {
        Some(p) => PathBuf::from(format!("{p}.key")),
        None => PathBuf::from("data/haocha.key"),
    }
}

fn key_from_file(file: &Path, keys: KeyFile) -> Result<store::crypto::DataKey, String> {
    match std::fs::read_to_string(file) {
        Ok(text) => store::crypto::DataKey::from_hex(&text)
            .ok_or_else(|| format!("{} must hold 64 hexadecimal digits (the data key)", file.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && keys == KeyFile::InMemory => {
            store::crypto::DataKey::from_hex(&store::crypto::DataKey::generate_hex()).ok_or_else(|| "generated key is invalid".to_string())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            }
            let hex = store::crypto::DataKey::generate_hex();
            write_private(file, &hex).map_err(|e| format!("cannot write the data key to {}: {e}", file.display()))?;
            eprintln!("haocha: created a new data key in {} (keep it with the database)", file.display());
            store::crypto::DataKey::from_hex(&hex).ok_or_else(|| "generated key is invalid".to_string())
        }
        Err(e) => Err(format!("cannot read the data key {}: {e}", file.display())),
    }
}

fn write_private(file: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(file)?;
    f.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(text: &str) -> Result<FileSettings, String> {
        FileSettings::parse(Path::new("haocha.toml"), text)
    }

    fn config(file: &FileSettings, env: &[(&str, &str)]) -> Result<Config, String> {
        let env: BTreeMap<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let key = [("HAOCHA_DATA_KEY", "ab".repeat(32))];
        Config::from_sources(
            file,
            |k| {
                env.get(k)
                    .cloned()
                    .or_else(|| key.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()))
            },
            KeyFile::InMemory,
        )
    }

    #[test]
    fn the_file_sets_what_the_environment_does_not() {
        let file = settings(
            "addr = \"127.0.0.1:4000\"\npublic_url = \"https://pj.example.cn/\"\njob_seconds = 30\ntrust_forwarded = true\nsms_url = \"http://127.0.0.1:9/sms\"\n",
        )
        .expect("parses");
        let c = config(&file, &[("HAOCHA_JOB_SECONDS", "5")]).expect("valid");
        assert_eq!(c.addr.to_string(), "127.0.0.1:4000");
        assert_eq!(c.public_url, "https://pj.example.cn", "trailing slash dropped");
        assert_eq!(c.job_seconds, 5, "the environment overrides the file");
        assert!(c.trust_forwarded);
        assert_eq!(c.sms_url.as_deref(), Some("http://127.0.0.1:9/sms"));
    }

    #[test]
    fn every_setting_of_the_table_has_a_key_and_unknown_keys_are_refused() {
        let all: String = KEYS.iter().map(|k| format!("# {k}\n")).collect();
        assert!(settings(&all).is_ok());
        let err = settings("adress = \"127.0.0.1:1\"\n").expect_err("refused");
        assert!(err.contains("unknown setting `adress`"), "{err}");
        let err = settings("job_seconds = [1]\n").expect_err("refused");
        assert!(err.contains("job_seconds"), "{err}");
        let bad = config(&settings("token_ttl_hours = 0\n").expect("parses"), &[]).expect_err("refused");
        assert!(bad.contains("HAOCHA_TOKEN_TTL_HOURS"), "{bad}");
    }

    #[test]
    fn an_in_memory_key_writes_no_file() {
        let dir = std::env::temp_dir().join(format!("haocha-config-{}", std::process::id()));
        let file = dir.join("k.key");
        key_from_file(&file, KeyFile::InMemory).expect("a key");
        assert!(!file.exists() && !dir.exists(), "nothing written");
    }
}
