//! `server` serves the console; `server migrate` and `server seed` prepare its database.

use leptos::prelude::get_configuration;
use server::config::Config;
use server::startup::{build_router, AppState};
use server::{database, seed};
use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage: server [serve | migrate | seed [--serials N] [--if-empty]]";

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("seatkeeper: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &[String]) -> Result<(), String> {
    let config = Config::from_env()?;
    match args.first().map(String::as_str) {
        None | Some("serve") => serve(&config).await,
        Some("migrate") => {
            let pool = database::connect(&config).await?;
            database::migrate(&pool).await?;
            println!("database migrated");
            Ok(())
        }
        Some("seed") => {
            let options = seed::SeedOptions::parse(&args[1..])?;
            let pool = database::connect(&config).await?;
            database::migrate(&pool).await?;
            seed::run(&pool, &options).await
        }
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("unknown command {other:?}; {USAGE}")),
    }
}

async fn serve(config: &Config) -> Result<(), String> {
    // A wrong SMTP setting is reported before anything else starts.
    let mailer = config.mail.as_ref().map(server::mail::Mailer::new).transpose()?;
    let pool = database::connect(config).await?;
    database::migrate(&pool).await?;
    let mut leptos = get_configuration(None).map_err(|e| format!("reading the Leptos settings failed: {e}"))?;
    // Hashed asset names or plain ones: whatever the build that made the site chose (hash.txt).
    // A site that does not match is said, not refused: the API and the pages without JavaScript work.
    match server::web::assets::settle_hash_files(&mut leptos.leptos_options) {
        Ok(note) => tracing::info!("{note}"),
        Err(problem) => tracing::warn!("{problem}"),
    }
    let addr = leptos.leptos_options.site_addr;
    match (mailer, &config.mail) {
        (Some(mailer), Some(settings)) => {
            tracing::info!("delivering email over SMTP ({})", server::config::redact(&settings.url));
            tokio::spawn(server::mail::run(pool.clone(), mailer, settings.poll));
        }
        _ if config.dev_mailbox => {
            tracing::warn!("SEATKEEPER_DEV_MAILBOX is on: user managers can read every email, invitation links included, at /dev/mailbox (development only)")
        }
        _ => tracing::info!("SMTP_URL is not set: emails stay in the outbox (Management > Emails)"),
    }
    // Failed sign-ins older than the window go, whoever they were for.
    let (sweep_pool, window) = (pool.clone(), config.login_window);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(600)).await;
            if let Err(error) = server::web::throttle::forget_expired(&sweep_pool, window).await {
                tracing::warn!("old failed sign-ins could not be cleared: {error}");
            }
        }
    });
    let router = build_router(AppState::new(pool, leptos.leptos_options, config));

    use axum::serve::ListenerExt;
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?
        // SSR answers in small chunks; without TCP_NODELAY each waits ~40 ms for Nagle (TOOLCHAIN.md, 8).
        .tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
    tracing::info!("Seatkeeper listening on http://{addr}");
    // The peer address feeds the sign-in throttle (per client address).
    axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| format!("the server stopped: {e}"))
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = interrupt => {}, _ = terminate => {} }
    tracing::info!("shutting down");
}
