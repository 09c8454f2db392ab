#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};
use server::{router, AppState, Config};

/// The data key of test servers (phones are sealed with it).
pub const TEST_DATA_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub base: String,
    pub key: String,
    pub db: store::Db,
    pub http: reqwest::Client,
    /// The server's state (its job heartbeat, its shutdown signal).
    pub state: AppState,
    clock: Arc<Mutex<DateTime<Utc>>>,
    sqlite_file: Option<std::path::PathBuf>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(f) = &self.sqlite_file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", f.display()));
            }
        }
    }
}

fn unique_name() -> String {
    format!("haocha_t_{}", store::random_token(8).to_lowercase())
}

pub async fn database_url(backend: Backend) -> (String, Option<std::path::PathBuf>) {
    match backend {
        Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!("{}.db", unique_name()));
            (format!("sqlite://{}?mode=rwc", path.display()), Some(path))
        }
        Backend::Postgres => {
            let admin = match std::env::var("HAOCHA_TEST_PG_URL") {
                Ok(u) => u,
                Err(_) => panic!(
                    "HAOCHA_TEST_PG_URL is not set: run scripts/test.sh, which starts PostgreSQL, \
                     or point it at a server whose user may CREATE DATABASE"
                ),
            };
            let name = unique_name();
            let conn = store::connect(&admin).await.expect("connect to PostgreSQL admin database");
            conn.execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("create test database");
            conn.close().await.ok();
            let base = admin
                .rsplit_once('/')
                .map(|(b, _)| b.to_string())
                .expect("admin URL ends in /dbname");
            (format!("{base}/{name}"), None)
        }
    }
}

impl TestApp {
    pub async fn start(backend: Backend) -> TestApp {
        TestApp::start_with(backend, |_| {}).await
    }

    /// Starts with a configuration changed by `adjust` (e.g. behind a proxy).
    pub async fn start_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let (url, sqlite_file) = database_url(backend).await;
        let db = store::open(&url).await.expect("open and migrate test database");
        // HAOCHA_TEST_CLOCK_SHIFT_MINUTES starts the app's clock away from the
        // wall clock, to run the suite at another hour of the Beijing day
        // (tests must pass at any hour: CI starts whenever a session ends).
        let shift = std::env::var("HAOCHA_TEST_CLOCK_SHIFT_MINUTES")
            .ok()
            .and_then(|m| m.parse::<i64>().ok())
            .unwrap_or(0);
        let now = Utc::now() + chrono::Duration::minutes(shift);
        store::directory::load_demo(&db, now).await.expect("load demo data");
        let (_, key) = store::keys::create(&db, "test system", Default::default(), now)
            .await
            .expect("create key");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut config = Config {
            exchange: None,
            exchange_inbound: vec![
                server::exchange::InboundPlatform {
                    profile: domain::exchange::Profile::ProvinceA,
                    region: None,
                    secret: EXCHANGE_SECRET.into(),
                },
                server::exchange::InboundPlatform {
                    profile: domain::exchange::Profile::ProvinceA,
                    region: Some("530000".into()),
                    secret: EXCHANGE_YUNNAN_SECRET.into(),
                },
            ],
            addr,
            database_url: url,
            public_url: format!("http://{addr}"),
            token_ttl_hours: 24,
            site_root: "target/site".into(),
            device_dir: "target/device".into(),
            job_seconds: 60,
            sms_url: None,
            sms_template: server::sms::DEFAULT_TEMPLATE.into(),
            sms_timeout_ms: 5000,
            sms_inbound_secret: Some(SMS_SECRET.into()),
            hotline_secret: Some(HOTLINE_SECRET.into()),
            metrics_token: Some(METRICS_TOKEN.into()),
            data_key: store::crypto::DataKey::from_hex(TEST_DATA_KEY).expect("test key"),
            static_limits: store::place_ratings::Limits::default(),
            trust_forwarded: false,
            serve_limits: server::serve::Limits::default(),
            max_streams_per_address: 64,
            read_connections: 4,
        };
        adjust(&mut config);
        let clock = Arc::new(Mutex::new(now));
        let c = clock.clone();
        let limits = config.serve_limits;
        // Pages read from the read pool, as in production.
        let read = store::connect_reader(&config.database_url, &db, config.read_connections)
            .await
            .expect("read pool");
        let state = AppState::new(db.clone(), config)
            .with_reader(read)
            .with_clock(Arc::new(move || *c.lock().expect("clock")));
        // The production server loop, with its timeouts and connection limit.
        let served = state.clone();
        tokio::spawn(async move { server::serve::serve(listener, router(served), limits, std::future::pending()).await });
        TestApp {
            base: format!("http://{addr}"),
            key,
            db,
            http: reqwest::Client::new(),
            state,
            clock,
            sqlite_file,
        }
    }

    pub fn advance(&self, by: Duration) {
        *self.clock.lock().expect("clock") += by;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .bearer_auth(&self.key)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let res = self.http.get(self.url(path)).bearer_auth(&self.key).send().await.expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.expect("json body"))
    }

    /// Reports a case at `window` handled by `staff`; returns the response body.
    pub async fn report_case(&self, number: &str, window: &str, staff: Option<&str>) -> Value {
        let res = self.post_json("/api/v1/cases", &case_body(number, window, staff)).await;
        assert_eq!(res.status().as_u16(), 201, "case {number} stored");
        res.json().await.expect("json")
    }

    /// Posts the rating form as a browser without JavaScript does.
    pub async fn post_form(&self, rating_url: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let res = self
            .http
            .post(rating_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("request");
        (res.status().as_u16(), res.text().await.expect("text"))
    }

    /// Posts an encoded rating form in the background (while a test holds
    /// the writer, say); the task answers `(status, page)`.
    pub fn post_form_later(&self, rating_url: &str, body: &'static str) -> tokio::task::JoinHandle<(u16, String)> {
        let (http, url) = (self.http.clone(), rating_url.to_string());
        tokio::spawn(async move {
            let res = http
                .post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .expect("request");
            (res.status().as_u16(), res.text().await.expect("text"))
        })
    }

    pub async fn get_page(&self, url: &str) -> (u16, String) {
        let res = self.http.get(url).send().await.expect("request");
        (res.status().as_u16(), res.text().await.expect("text"))
    }

    /// Every rating the test key can read, following the cursor.
    pub async fn all_ratings(&self) -> Vec<Value> {
        let mut out = Vec::new();
        let mut after = String::new();
        loop {
            let (status, body) = self.get_json(&format!("/api/v1/ratings?limit=2{after}")).await;
            assert_eq!(status, 200);
            out.extend(body["ratings"].as_array().expect("ratings").iter().cloned());
            match body["next"].as_str() {
                Some(n) => after = format!("&after={n}"),
                None => return out,
            }
        }
    }

    /// Creates an account, signs in through the page, sets a new password when
    /// forced to, and returns a browser-like client (cookies, no auto-redirect).
    pub async fn signed_in(&self, role: domain::Role, scope: Option<&str>, job: &str) -> Browser {
        signed_in_at(&self.db, &self.base, role, scope, job, self.now()).await
    }

    /// The region's policy requires real names (004 第五条), as its center would set it.
    pub async fn require_real_names(&self, region_code: &str) {
        let who = store::audit::Who {
            account_id: None,
            job_number: "test".into(),
            role: "system_admin".into(),
        };
        let meta = store::audit::Meta {
            now: self.now(),
            address: None,
        };
        let o = domain::policy::PolicyOverride {
            real_name: Some(domain::policy::RealName::Required),
            ..Default::default()
        };
        store::policies::set(&self.db, &who, region_code, &o, &meta)
            .await
            .expect("set policy");
    }

    pub fn now(&self) -> DateTime<Utc> {
        *self.clock.lock().expect("clock")
    }

    pub async fn scalar(&self, sql: &str) -> Option<String> {
        let row = self
            .db
            .query_one_raw(sea_orm::Statement::from_string(self.db.get_database_backend(), sql.to_string()))
            .await
            .expect("query")?;
        row.try_get::<Option<String>>("", "v").expect("column v")
    }

    pub async fn count_rows(&self, table: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                self.db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .expect("count")
            .expect("a row");
        row.try_get::<i64>("", "n").expect("n")
    }
}

pub fn case_body(number: &str, window: &str, staff: Option<&str>) -> Value {
    json!({
        "case_number": number,
        "item_code": "11210100MB0001-001",
        "window_code": window,
        "staff_number": staff,
        "applicant_phone": "13800131234",
        "applicant_name": "张三",
        "real_name": true,
        "accepted_at": "2026-11-27T09:10:00+08:00",
        "completed_at": "2026-11-27T09:30:00+08:00",
        "transactions": 1
    })
}

/// Decodes a QR code from a greyscale bitmap with an independent decoder (rqrr).
pub fn decode_grey(width: usize, height: usize, pixel: impl Fn(usize, usize) -> u8) -> String {
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(width, height, pixel);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "exactly one QR code in the image");
    let (_, content) = grids[0].decode().expect("QR decodes");
    content
}

pub fn decode_png(bytes: &[u8]) -> String {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("png frame");
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    let w = info.width as usize;
    decode_grey(w, info.height as usize, |x, y| buf[y * w + x])
}

/// Rasterises the rectangles of a QR SVG (`M{x} {y}h{w}v{h}H{x}V{y}` paths) and decodes it.
pub fn decode_svg(svg: &str) -> String {
    let attr = |name: &str| -> usize {
        let start = svg.find(&format!(" {name}=\"")).expect("attribute") + name.len() + 3;
        svg[start..].split('"').next().expect("value").parse().expect("number")
    };
    let (w, h) = (attr("width"), attr("height"));
    let mut px = vec![255u8; w * h];
    let d_start = svg.find(" d=\"").expect("path") + 4;
    let d = svg[d_start..].split('"').next().expect("d");
    for rect in d.split('M').filter(|s| !s.is_empty()) {
        let nums: Vec<usize> = rect
            .split(|c: char| c.is_ascii_alphabetic() || c == ' ')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().expect("number"))
            .collect();
        let (x, y, rw, rh) = (nums[0], nums[1], nums[2], nums[3]);
        for yy in y..y + rh {
            for xx in x..x + rw {
                px[yy * w + xx] = 0;
            }
        }
    }
    decode_grey(w, h, |x, y| px[y * w + x])
}

pub const SMS_SECRET: &str = "sms-test-secret";
pub const HOTLINE_SECRET: &str = "hotline-test-secret";
pub const METRICS_TOKEN: &str = "metrics-test-token-0123";
/// The province-a platform's secret for `POST /api/v1/exchange/inbound`.
pub const EXCHANGE_SECRET: &str = "exchange-inbound-test-secret";
/// A platform that may rate only cases of Yunnan (530000).
pub const EXCHANGE_YUNNAN_SECRET: &str = "exchange-inbound-yunnan-secret";

pub const NEW_PASSWORD: &str = "Haocha-2026-ok";

/// A browser: keeps cookies, does not follow redirects (tests look at them).
/// A clone shares the cookies (two tabs of one browser).
#[derive(Clone)]
pub struct Browser {
    pub base: String,
    pub http: reqwest::Client,
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        Browser {
            base: base.to_string(),
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
        }
    }

    /// `(status, body)`; a redirect's body is its Location.
    pub async fn get(&self, path: &str) -> (u16, String) {
        let res = self.http.get(format!("{}{path}", self.base)).send().await.expect("request");
        let status = res.status().as_u16();
        if res.status().is_redirection() {
            return (status, location(&res));
        }
        (status, res.text().await.expect("text"))
    }

    /// The CSRF token of the page at `path` (every signed-in page carries one).
    pub async fn csrf(&self, path: &str) -> String {
        let (status, html) = self.get(path).await;
        assert!(status < 300, "{path}: {status} {html}");
        csrf_in(&html)
    }

    /// Posts a form with the session's CSRF token taken from `/login` or the
    /// signed-in start page. Returns `(status, Location or body)`.
    pub async fn post_page(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let token = self.csrf(if path == "/login" { "/login" } else { "/account/password" }).await;
        let mut all: Vec<(&str, &str)> = vec![("_csrf", &token)];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        if res.status().is_redirection() {
            return (status, location(&res));
        }
        (status, res.text().await.expect("text"))
    }

    pub async fn sign_in(&self, job: &str, password: &str) -> (u16, String) {
        self.post_page("/login", &[("job_number", job), ("password", password)]).await
    }

    /// Uploads a CSV file to the import page.
    pub async fn upload(&self, kind: &str, bytes: Vec<u8>) -> (u16, String) {
        let token = self.csrf(&format!("/admin/import/{kind}")).await;
        let form = reqwest::multipart::Form::new().text("_csrf", token).part(
            "file",
            reqwest::multipart::Part::bytes(bytes)
                .file_name("import.csv")
                .mime_str("text/csv")
                .expect("mime"),
        );
        let res = self
            .http
            .post(format!("{}/admin/import/{kind}", self.base))
            .multipart(form)
            .send()
            .await
            .expect("request");
        (res.status().as_u16(), res.text().await.expect("text"))
    }
}

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

pub fn csrf_in(html: &str) -> String {
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker).expect("a CSRF field on the page") + marker.len();
    html[start..].split('"').next().expect("token").to_string()
}

/// A new account of `role` signed in at `base` (its first password changed):
/// `base` may be a server of another process, or nginx in front of several.
pub async fn signed_in_at(
    db: &store::Db,
    base: &str,
    role: domain::Role,
    scope: Option<&str>,
    job: &str,
    now: chrono::DateTime<Utc>,
) -> Browser {
    let (_, first) = store::accounts::create(db, role, scope, job, now).await.expect("create account");
    let b = Browser::new(base);
    let (status, location) = b.sign_in(job, &first).await;
    assert_eq!(status, 303, "signed in as {job}");
    assert_eq!(location, "/account/password", "first sign-in forces a new password");
    let (status, location) = b
        .post_page(
            "/account/password",
            &[("current", &first), ("new", NEW_PASSWORD), ("repeat", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(status, 303, "password changed");
    assert_eq!(location, if role == domain::Role::WindowStaff { "/staff" } else { "/admin" });
    b
}

/// The column `n` (an integer) of the one row `sql` returns, on any database.
pub async fn count(db: &store::Db, sql: &str) -> i64 {
    db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql.to_string()))
        .await
        .expect("query")
        .expect("one row")
        .try_get::<i64>("", "n")
        .expect("n")
}
