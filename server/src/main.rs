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
    Create { name: String },
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn".into()))
        .with_writer(std::io::stderr)
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
            command: ApiKeyCommand::Create { name },
        } => {
            let (_, key) = store::keys::create(&db, &name, Utc::now()).await.map_err(said)?;
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
        Command::Calendar { command } => calendar(&db, command).await,
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
    let (client, key) = store::keys::create(db, "demo business system 演示业务系统", now)
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
    eprintln!(
        "after the visit: sign in as admin → 后台任务 (/admin/outbox) → 立即运行后台任务: a reminder SMS with its link, a default rating"
    );
    eprintln!("API key (shown once) for the demo business system:");
    println!("{key}");
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
    let state = AppState::new(db, config);
    server::jobs::spawn(state.clone(), every);
    let app = router(state);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    eprintln!("haocha is running: open {public}/");
    axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| e.to_string())
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
