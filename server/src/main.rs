//! `haocha`: serve, migrate, demo, api-key, user, calendar.

use std::process::ExitCode;

use chrono::Utc;
use clap::{Parser, Subcommand};
use server::config::KeyFile;
use server::{router, AppState, Config};

#[derive(Parser)]
#[command(name = "haocha", version, about = "政务服务好差评 — government service rating")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (HAOCHA_ADDR, HAOCHA_DATABASE_URL, HAOCHA_PUBLIC_URL).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Load demo data (a region, a hall with 6 windows, staff, 10 service items) and print an API key.
    Demo,
    /// Bring the statistics rollups up to date now (the server's jobs do it
    /// in the background); `--rebuild` first marks every day with data stale,
    /// e.g. after loading rows with SQL.
    Rollup {
        #[arg(long)]
        rebuild: bool,
    },
    /// Manage business-system API keys.
    ApiKey {
        #[command(subcommand)]
        command: ApiKeyCommand,
    },
    /// Manage the accounts of people who sign in.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The working-day calendar (public holidays and 调休).
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// Exchange with provincial and national platforms.
    Exchange {
        #[command(subcommand)]
        command: ExchangeCommand,
    },
}

#[derive(Subcommand)]
enum ExchangeCommand {
    /// Write every record of the period (ratings, defaults, exclusions,
    /// rectifications, by the day they were recorded, Beijing time) to stdout
    /// in a profile's shape, for platforms that take files.
    Export {
        /// gbt39046, province-a or province-b.
        #[arg(long)]
        profile: String,
        /// First day, YYYY-MM-DD.
        #[arg(long)]
        from: String,
        /// Last day, YYYY-MM-DD.
        #[arg(long)]
        to: String,
        /// jsonl (one JSON object a line) or csv (UTF-8, header line).
        #[arg(long, default_value = "jsonl")]
        format: String,
    },
}

#[derive(Subcommand)]
enum CalendarCommand {
    /// Print every date of YEAR, one a line: `YYYY-MM-DD W` for a working day,
    /// `YYYY-MM-DD R` for a rest day (to audit the loaded calendar).
    Days { year: i32 },
    /// Load (or replace) YEAR from a file in the format of domain/calendar/2026.txt;
    /// any bad line refuses the whole file.
    Load { year: i32, file: std::path::PathBuf },
    /// The years the calendar knows and where each comes from.
    Years,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; prints its first password alone on stdout (it must be
    /// changed at first sign-in).
    Create {
        /// system_admin, center_admin (scope: region code), unit_admin (unit code)
        /// or window_staff (window code).
        #[arg(long)]
        role: String,
        /// The region, unit or window code the account is bound to.
        #[arg(long)]
        scope: Option<String>,
        /// The job number (工号) the person signs in with.
        job_number: String,
    },
    /// A new first password for an account (also unlocks and reactivates it);
    /// prints it alone on stdout.
    ResetPassword { job_number: String },
}

#[derive(Subcommand)]
enum ApiKeyCommand {
    /// Create a key for a business system; prints the key alone on stdout.
    /// The key reads and rates the cases it reports; `--scope CODE` (a region
    /// code or a unit code) lets it read and rate that region's (and below) or
    /// that unit's cases too.
    Create {
        name: String,
        #[arg(long)]
        scope: Option<String>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn".into());
    // HAOCHA_LOG_FORMAT=json: one JSON object a line (for a log collector).
    // Beside the log: waits for a pooled database connection, into /metrics
    // (whatever the filter prints).
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::Layer;
    let log = match std::env::var("HAOCHA_LOG_FORMAT").as_deref() {
        Ok("json") => tracing_subscriber::fmt::layer()
            .json()
            .with_writer(std::io::stderr)
            .with_filter(filter)
            .boxed(),
        Ok("text") | Ok("") | Err(_) => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_filter(filter)
            .boxed(),
        Ok(other) => {
            eprintln!("haocha: HAOCHA_LOG_FORMAT `{other}` must be `text` or `json`");
            return ExitCode::FAILURE;
        }
    };
    tracing_subscriber::registry()
        .with(log)
        .with(server::metrics::pool_wait_layer())
        .init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("haocha: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    // Only the commands that store or read phone numbers create the data key;
    // the others (accounts, keys, calendar) write no key file.
    let keys = match cli.command {
        Command::Serve | Command::Migrate | Command::Demo => KeyFile::Create,
        _ => KeyFile::InMemory,
    };
    let config = Config::load(keys)?;
    let db = store::open(&config.database_url)
        .await
        .map_err(|e| format!("cannot open database {}: {e}", redact(&config.database_url)))?;
    if keys == KeyFile::Create {
        let sealed = store::crypto::seal_legacy(&db, &config.data_key).await.map_err(|e| e.to_string())?;
        if sealed > 0 {
            eprintln!("haocha: sealed {sealed} applicant phone numbers stored in plain text by an older version");
        }
    }
    match cli.command {
        Command::Migrate => {
            eprintln!("migrations applied to {}", redact(&config.database_url));
            Ok(())
        }
        Command::ApiKey {
            command: ApiKeyCommand::Create { name, scope },
        } => {
            let scope = store::keys::resolve_scope(&db, scope.as_deref()).await.map_err(said)?;
            let (_, key) = store::keys::create(&db, &name, scope, Utc::now()).await.map_err(said)?;
            println!("{key}");
            Ok(())
        }
        Command::User {
            command: UserCommand::Create { role, scope, job_number },
        } => {
            let role = domain::Role::parse(&role)
                .ok_or_else(|| format!("unknown role `{role}`: use system_admin, center_admin, unit_admin or window_staff"))?;
            let (_, password) = store::accounts::create(&db, role, scope.as_deref(), &job_number, Utc::now())
                .await
                .map_err(said)?;
            println!("{password}");
            Ok(())
        }
        Command::User {
            command: UserCommand::ResetPassword { job_number },
        } => {
            let password = store::accounts::reset_from_shell(&db, &job_number, Utc::now())
                .await
                .map_err(|e| match e {
                    store::Error::NotFound(_) => format!("no account with job number `{job_number}`"),
                    e => said(e),
                })?;
            println!("{password}");
            Ok(())
        }
        Command::Rollup { rebuild } => {
            let started = std::time::Instant::now();
            if rebuild {
                store::rollup::rebuild(&db).await.map_err(said)?;
            }
            let mut days = 0;
            loop {
                let n = store::rollup::run(&db, 31, None).await.map_err(said)?;
                days += n;
                if n == 0 {
                    break;
                }
            }
            println!("{days} days rolled up in {:.1} s", started.elapsed().as_secs_f64());
            Ok(())
        }
        Command::Calendar { command } => calendar(&db, command).await,
        Command::Exchange {
            command: ExchangeCommand::Export { profile, from, to, format },
        } => {
            let profile = domain::exchange::Profile::parse(&profile)
                .ok_or_else(|| format!("--profile `{profile}`: one of gbt39046, province-a, province-b"))?;
            let day = |name: &str, v: &str| {
                chrono::NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").map_err(|_| format!("--{name} `{v}`: a date YYYY-MM-DD"))
            };
            let (from, to) = (day("from", &from)?, day("to", &to)?);
            if to < from {
                return Err(format!("--to {to} is before --from {from}"));
            }
            if !matches!(format.as_str(), "jsonl" | "csv") {
                return Err(format!("--format `{format}`: jsonl or csv"));
            }
            use std::io::Write;
            let mut out = std::io::BufWriter::new(std::io::stdout());
            let mut write = |line: String| -> Result<(), String> { out.write_all(line.as_bytes()).map_err(|e| format!("stdout: {e}")) };
            if format == "csv" {
                write(format!("\u{feff}{}\r\n", profile.csv_header()))?;
            }
            let (mut after, mut written) = (0, 0u64);
            loop {
                let (records, next) = store::exchange::export_page(&db, &config.data_key, profile, (from, to), after)
                    .await
                    .map_err(said)?;
                for r in &records {
                    write(if format == "csv" {
                        profile.csv_row(r) + "\r\n"
                    } else {
                        profile.json(r) + "\n"
                    })?;
                }
                written += records.len() as u64;
                match next {
                    Some(n) => after = n,
                    None => break,
                }
            }
            out.flush().map_err(|e| format!("stdout: {e}"))?;
            eprintln!("{written} records");
            Ok(())
        }
        Command::Demo => demo(&db, &config).await,
        Command::Serve => serve(db, config).await,
    }
}

async fn calendar(db: &store::Db, command: CalendarCommand) -> Result<(), String> {
    match command {
        CalendarCommand::Days { year } => {
            if !(1900..=2200).contains(&year) {
                return Err(format!("{year} is not a year from 1900 to 2200"));
            }
            let c = store::calendar::load(db).await.map_err(|e| e.to_string())?;
            if !c.knows(year) {
                eprintln!("haocha: no holidays are loaded for {year}: only weekends are rest days (haocha calendar load {year} FILE)");
            }
            let mut out = String::with_capacity(366 * 13);
            for line in c.days_of_year(year) {
                out.push_str(&line);
                out.push('\n');
            }
            print!("{out}");
            Ok(())
        }
        CalendarCommand::Load { year, file } => {
            let text = std::fs::read_to_string(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let who = store::audit::Who {
                account_id: None,
                job_number: "cli".into(),
                role: "system".into(),
            };
            let meta = store::audit::Meta {
                now: Utc::now(),
                address: None,
            };
            let days = store::calendar::save_year(db, &who, year, &text, &meta)
                .await
                .map_err(|e| match e {
                    store::Error::Invalid { reason, .. } => {
                        format!(
                            "{}: {}; nothing was loaded",
                            file.display(),
                            app::text::reason(app::Lang::En, &reason)
                        )
                    }
                    e => said(e),
                })?;
            eprintln!("loaded {year}: {days} days differ from the week");
            Ok(())
        }
        CalendarCommand::Years => {
            for y in store::calendar::years(db).await.map_err(|e| e.to_string())? {
                let from = match (&y.loaded_by, y.loaded_at) {
                    (Some(by), Some(at)) => format!("loaded by {by} at {}", at.to_rfc3339()),
                    _ => "built in".into(),
                };
                println!(
                    "{} {} holidays, {} working weekends, {from}",
                    y.year, y.holidays, y.working_weekends
                );
            }
            Ok(())
        }
    }
}

/// A store refusal in words for the shell (English, as the rest of the CLI).
fn said(e: store::Error) -> String {
    use app::{text, Lang};
    match e {
        store::Error::Invalid { field, reason } => format!("{field}: {}", text::reason(Lang::En, &reason)),
        store::Error::Conflict(c) => text::conflict(Lang::En, &c),
        e => e.to_string(),
    }
}

/// Hides a password in a database URL before it is printed.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***{}", &url[..s], &url[at..]),
        _ => url.to_string(),
    }
}

async fn demo(db: &store::Db, config: &Config) -> Result<(), String> {
    let now = Utc::now();
    let first = store::directory::windows(db).await.map_err(|e| e.to_string())?.is_empty();
    let summary = store::directory::load_demo(db, now).await.map_err(|e| e.to_string())?;
    if !first {
        eprintln!(
            "demo data is already loaded; a new key: haocha api-key create NAME; \
             a demo account's new first password: haocha user reset-password admin (or center01, unit01, S1001)"
        );
        return Ok(());
    }
    let (client, key) = store::keys::create(db, "demo business system 演示业务系统", Default::default(), now)
        .await
        .map_err(|e| e.to_string())?;
    // One completed case per window, so every window screen shows a code at once.
    for (i, w) in summary.windows.iter().enumerate() {
        let input = store::cases::CaseInput {
            case_number: format!("DEMO-{}-{:04}", now.format("%Y%m%d"), i + 1),
            item_code: summary.items[(i * 2) % summary.items.len()].0.clone(),
            window_code: w.clone(),
            staff_number: Some(summary.staff[i % summary.staff.len()].0.clone()),
            applicant_phone: Some(format!("1380013{:04}", 1000 + i)),
            real_name: i % 2 == 0,
            completed_at: now.to_rfc3339(),
            ..Default::default()
        };
        store::cases::create_case(db, &config.data_key, client, &input, now, config.token_ttl())
            .await
            .map_err(|e| e.to_string())?;
    }
    // The path after the visit, visible at once from 后台任务 (/admin/outbox):
    // a case completed 25 h ago with a phone (its reminder is due), one 20 days
    // ago never rated (its default rating is due), and a 一件事 bundle of two.
    let day = now.format("%Y%m%d");
    let past = [
        (
            format!("DEMO-{day}-R01"),
            "11210100MB0001-001",
            Some("13900139001"),
            now - chrono::Duration::hours(25),
            None,
        ),
        (
            format!("DEMO-{day}-D01"),
            "11210100MB0001-002",
            None,
            now - chrono::Duration::days(20),
            None,
        ),
        (format!("DEMO-{day}-B01"), "11210100MB0001-001", None, now, Some("DEMO-YJS-1")),
        (format!("DEMO-{day}-B02"), "11210100MB0002-001", None, now, Some("DEMO-YJS-1")),
    ];
    for (case_number, item, phone, completed, bundle) in past {
        let input = store::cases::CaseInput {
            case_number,
            item_code: item.into(),
            window_code: "W02".into(),
            applicant_phone: phone.map(str::to_string),
            completed_at: completed.to_rfc3339(),
            bundle_id: bundle.map(str::to_string),
            ..Default::default()
        };
        store::cases::create_case(db, &config.data_key, client, &input, now, config.token_ttl())
            .await
            .map_err(|e| e.to_string())?;
    }
    eprintln!(
        "demo data loaded: 2 cities, 2 halls, {} windows, {} staff, {} service items",
        summary.windows.len() + 1,
        summary.staff.len() + 1,
        summary.items.len() + 1
    );
    eprintln!(
        "sign in at {}/login — one account per role; change the password at first sign-in:",
        config.public_url
    );
    for (role, scope, job_number) in store::directory::DEMO_ACCOUNTS {
        let (_, password) = store::accounts::create(db, role, scope, job_number, now)
            .await
            .map_err(|e| e.to_string())?;
        eprintln!(
            "  {:<9} {:<14} {} {}",
            job_number,
            password,
            role.label_zh(),
            scope.map(|s| format!("({s})")).unwrap_or_default()
        );
    }
    demo_work_orders(db, config, client, now).await?;
    eprintln!(
        "after the visit: sign in as admin → 后台任务 (/admin/outbox) → 立即运行后台任务: a reminder SMS with its link, a default rating"
    );
    eprintln!(
        "差评工单 (/admin/work-orders): one overdue, one in appeal, one closed after a revisit, one new; unit01 handles U-MARKET's, center01 checks them"
    );
    eprintln!(
        "window screen: sign in as unit01 → {}/admin/devices/W01 → 生成配对码; open {}/w/W01/screen in the screen's browser and enter the code",
        config.public_url, config.public_url
    );
    eprintln!("API key (shown once) for the demo business system:");
    println!("{key}");
    Ok(())
}

/// Demo 差评工单 in several states, made through the same paths as real ones:
/// bad ratings on the page, then the unit's and the center's steps.
async fn demo_work_orders(db: &store::Db, config: &Config, client: i32, now: chrono::DateTime<Utc>) -> Result<(), String> {
    use domain::work_order::Tier;
    use store::work_orders::{AppealKind, Contact, Reply, Step};
    let err = |e: store::Error| e.to_string();
    store::work_orders::demo_handler(db, &config.data_key, "U-MARKET", "unit01", "13800138000")
        .await
        .map_err(err)?;
    let actor = |job: &'static str| async move {
        let id = store::accounts::account_id_by_job(db, job).await.map_err(err)?;
        store::accounts::actor(db, id)
            .await
            .map_err(err)?
            .ok_or_else(|| format!("demo account {job} missing"))
    };
    let (unit, center) = (actor("unit01").await?, actor("center01").await?);
    let day = now.format("%Y%m%d");
    let comments = [
        ("W1", 6 * 24, "排队两个小时，叫号系统坏了也没人解释", true),
        ("W2", 2 * 24, "材料清单网上和窗口说的不一样，来回跑了三趟", false),
        ("W3", 3 * 24, "工作人员态度生硬，问两句就不耐烦", true),
        // Earlier than the window's current case: the screen keeps showing that one.
        ("W4", 3, "窗口午休时间没人，等了很久", false),
    ];
    let mut ids = Vec::new();
    for (suffix, hours_ago, comment, real_name) in comments {
        let when = now - chrono::Duration::hours(hours_ago);
        let input = store::cases::CaseInput {
            case_number: format!("DEMO-{day}-{suffix}"),
            item_code: "11210100MB0001-001".into(),
            window_code: "W01".into(),
            staff_number: Some("S1001".into()),
            applicant_phone: Some(format!("1391234{:04}", 5000 + hours_ago)),
            real_name,
            completed_at: when.to_rfc3339(),
            ..Default::default()
        };
        let receipt = store::cases::create_case(db, &config.data_key, client, &input, when, config.token_ttl())
            .await
            .map_err(err)?;
        let rating = domain::RatingInput {
            level: domain::Level::VeryDissatisfied,
            tags: vec![domain::Tag::Efficiency],
            comment: domain::Comment::parse(comment).ok(),
        };
        let sub = store::ratings::PageSubmission {
            item: rating,
            staff: None,
            bundle_whole: false,
        };
        store::ratings::rate_by_token(db, &receipt.token, &sub, when).await.map_err(err)?;
        ids.push((store::work_orders::order_of_case(db, receipt.id).await.map_err(err)?, when));
    }
    let meta = |at| store::audit::Meta { now: at, address: None };
    let hour = chrono::Duration::hours(1);
    // W1 stays new: overdue. W2 in appeal after verification.
    let (id, at) = ids[1];
    let verify = |said: &str| Step::Verify {
        how: Contact::Phone,
        said: said.into(),
        tier: Tier::General,
        days: None,
        why: String::new(),
    };
    store::work_orders::act(db, &unit, id, verify("评价人称材料清单不一致"), &meta(at + hour))
        .await
        .map_err(err)?;
    let appeal = Step::Appeal {
        kind: AppealKind::Mistaken,
        reason: "网上清单与窗口清单一致，评价人所持为旧版清单".into(),
        files: vec![],
    };
    store::work_orders::act(db, &unit, id, appeal, &meta(at + hour * 2))
        .await
        .map_err(err)?;
    // W3 closed after a revisit.
    let (id, at) = ids[2];
    store::work_orders::act(db, &unit, id, verify("评价人反映工作人员态度生硬"), &meta(at + hour))
        .await
        .map_err(err)?;
    store::work_orders::act(db, &unit, id, Step::Start, &meta(at + hour * 2))
        .await
        .map_err(err)?;
    let reply = Reply {
        investigation: "调取窗口录音录像，工作人员答复时语气生硬属实".into(),
        process: "对当事工作人员进行批评教育，科室内部通报".into(),
        measures: "开展服务礼仪培训，窗口服务纳入月度考核".into(),
        result: "已向评价人当面致歉，培训已于本周完成".into(),
        signed_by: "市场监督管理局 分管副局长".into(),
    };
    store::work_orders::act(db, &unit, id, Step::Reply(reply), &meta(at + hour * 24))
        .await
        .map_err(err)?;
    let revisit = Step::Revisit {
        how: Contact::Phone,
        outcome: "评价人表示接受道歉，认可整改".into(),
        satisfied: Some(true),
    };
    store::work_orders::act(db, &center, id, revisit, &meta(at + hour * 26))
        .await
        .map_err(err)?;
    store::work_orders::act(db, &center, id, Step::QcPass, &meta(at + hour * 27))
        .await
        .map_err(err)?;
    Ok(())
}

async fn serve(db: store::Db, config: Config) -> Result<(), String> {
    let addr = config.addr;
    let public = config.public_url.clone();
    let sessions = store::sessions::DbSessionStore::new(db.clone());
    tokio::spawn(async move {
        // Expired sessions are refused on load; this only keeps the table small.
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            if let Err(e) = sessions.delete_expired(Utc::now()).await {
                tracing::warn!(error = %e, "could not delete expired sessions");
            }
        }
    });
    let every = std::time::Duration::from_secs(config.job_seconds);
    let limits = config.serve_limits;
    let read = store::connect_reader(&config.database_url, &db, config.read_connections)
        .await
        .map_err(|e| format!("cannot open the read pool of {}: {e}", redact(&config.database_url)))?;
    let state = AppState::new(db, config).with_reader(read);
    server::jobs::spawn(state.clone(), every);
    let stopping = state.clone();
    let app = router(state);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    eprintln!("haocha is running: open {public}/");
    let shutdown = async move {
        shutdown_signal().await;
        // Event streams end now, so screens reconnect instead of holding the exit for 30 s.
        stopping.stop();
    };
    server::serve::serve(listener, app, limits, shutdown).await;
    Ok(())
}

/// Ctrl-C or SIGTERM (systemd, container stop): finish requests in flight, then exit.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    eprintln!("haocha: shutting down");
}
