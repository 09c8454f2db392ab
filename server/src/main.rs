//! `haocha`: serve, migrate, demo, api-key.

use std::process::ExitCode;

use chrono::Utc;
use clap::{Parser, Subcommand};
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
    let config = Config::from_env()?;
    let db = store::open(&config.database_url)
        .await
        .map_err(|e| format!("cannot open database {}: {e}", redact(&config.database_url)))?;
    match cli.command {
        Command::Migrate => {
            eprintln!("migrations applied to {}", redact(&config.database_url));
            Ok(())
        }
        Command::ApiKey {
            command: ApiKeyCommand::Create { name },
        } => {
            let (_, key) = store::keys::create(&db, &name, Utc::now()).await.map_err(|e| e.to_string())?;
            println!("{key}");
            Ok(())
        }
        Command::Demo => demo(&db, &config).await,
        Command::Serve => serve(db, config).await,
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
        eprintln!("demo data is already loaded; a new key: haocha api-key create NAME");
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
        store::cases::create_case(db, client, &input, now, config.token_ttl())
            .await
            .map_err(|e| e.to_string())?;
    }
    eprintln!(
        "demo data loaded: 1 hall, {} windows, {} staff, {} service items",
        summary.windows.len(),
        summary.staff.len(),
        summary.items.len()
    );
    eprintln!("API key (shown once) for the demo business system:");
    println!("{key}");
    Ok(())
}

async fn serve(db: store::Db, config: Config) -> Result<(), String> {
    let addr = config.addr;
    let public = config.public_url.clone();
    let app = router(AppState::new(db, config));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    eprintln!("haocha is running: open {public}/");
    axum::serve(listener, app)
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
