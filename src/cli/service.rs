//! `ppi serve`, `ppi worker` and `ppi users`.

use std::io::{BufRead, IsTerminal};
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};

use super::{Failure, Ui};
use ppi_core::error::ErrorKind;
use ppi_jobs::runner::run_workers;
use ppi_server::app::App;
use ppi_server::config::Settings;
use ppi_server::serve::{shutdown_signal, Server};
use ppi_store::db::audit::action;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: server.bind, 127.0.0.1:8080].
    #[arg(long)]
    pub bind: Option<String>,
    /// Do not run an embedded worker (use separate `ppi worker` processes).
    #[arg(long)]
    pub no_worker: bool,
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Add a user; the password is read from standard input (or prompted for).
    Add {
        name: String,
        /// admin or DL-user.
        #[arg(long, default_value = "DL-user")]
        role: String,
    },
    /// List users.
    List,
    /// Remove a user.
    Remove { name: String },
    /// Set a user's password (read from standard input or prompted for).
    Passwd { name: String },
    /// Create an API token for a user (a service account for MCP clients and scripts); it is
    /// printed once, only its hash is kept.
    Token {
        name: String,
        /// What the token is for.
        #[arg(long, default_value = "")]
        label: String,
        /// Expires after this many days [default: never].
        #[arg(long)]
        days: Option<u32>,
    },
    /// List API tokens (without their secrets).
    Tokens,
    /// Revoke an API token by its id.
    RevokeToken { id: String },
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only this action (login, login-failed, user-added, api-token-revoked, …).
    #[arg(long)]
    pub action: Option<String>,
    /// Only this actor.
    #[arg(long)]
    pub actor: Option<String>,
    /// The newest this many events.
    #[arg(long, default_value_t = 50)]
    pub limit: i64,
    /// JSON lines instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `ppi audit`: the audit log from the database (the server's admin, on its machine).
pub fn run_audit(a: AuditArgs, settings: Settings) -> Result<(), Failure> {
    if a.limit < 1 {
        return Err(Failure {
            code: "invalid-argument",
            kind: ErrorKind::Input,
            message: format!("--limit {} must be at least 1", a.limit),
        });
    }
    let rt = super::runtime()?;
    rt.block_on(async move {
        let db = App::database(&settings).await?;
        let events = db
            .audit_events(&ppi_store::db::audit::AuditQuery {
                action: a.action,
                actor: a.actor,
                since: None,
                limit: a.limit,
            })
            .await?;
        for e in events {
            if a.json {
                outln!("{}", serde_json::to_string(&e).unwrap_or_default());
            } else {
                outln!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    chrono::DateTime::from_timestamp_millis(e.at)
                        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
                        .unwrap_or_else(|| e.at.to_string()),
                    e.actor,
                    e.action,
                    e.target.as_deref().unwrap_or("-"),
                    e.address.as_deref().unwrap_or("-"),
                    e.detail.as_deref().unwrap_or("")
                );
            }
        }
        Ok(())
    })
}

/// Records a change made from the command line.
async fn audit_cli(db: &ppi_store::db::Db, action: &str, target: &str, detail: Option<&str>) {
    db.audit_or_log(&ppi_store::db::audit::NewEvent {
        actor: &super::cli_actor(),
        action,
        target: Some(target),
        address: None,
        detail,
    })
    .await;
}

pub(super) fn io_failure(e: impl std::fmt::Display) -> Failure {
    Failure {
        code: "io-error",
        kind: ErrorKind::Internal,
        message: e.to_string(),
    }
}

/// Reads a password: one line from standard input, or a prompt without echo on a terminal.
fn read_password(prompt: &str) -> Result<String, Failure> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        err!("{prompt}: ");
        let _ = std::process::Command::new("stty").arg("-echo").status();
        let mut line = String::new();
        let r = stdin.lock().read_line(&mut line);
        let _ = std::process::Command::new("stty").arg("echo").status();
        errln!();
        r.map_err(io_failure)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    } else {
        let mut line = String::new();
        stdin.lock().read_line(&mut line).map_err(io_failure)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

pub fn run_serve(a: ServeArgs, mut settings: Settings, _ui: &Ui) -> Result<(), Failure> {
    if let Some(b) = a.bind {
        settings.server.bind = b;
    }
    let rt = super::runtime()?;
    let done = rt.block_on(async move {
        // Bind first: with port 0 or no public URL configured, signed URLs must name the
        // address actually bound.
        let listener = tokio::net::TcpListener::bind(&settings.server.bind).await.map_err(|e| Failure {
            code: "bind-failed",
            kind: ErrorKind::Input,
            message: format!("cannot listen on {}: {e}", settings.server.bind),
        })?;
        let addr = listener.local_addr().map_err(io_failure)?;
        if settings.server.public_url.is_none() {
            let host = if addr.ip().is_unspecified() { "127.0.0.1".to_owned() } else { addr.ip().to_string() };
            settings.server.public_url = Some(format!("http://{host}:{}", addr.port()));
            if addr.ip().is_unspecified() {
                tracing::warn!("listening on all interfaces: set PPI_PUBLIC_URL so signed URLs name a reachable host");
            }
        }
        let app = Arc::new(App::open(settings.clone()).await?);
        clean_scratch(&app);
        bootstrap_admin(&app).await?;
        let _watcher = ppi_server::watch::service::spawn(&app).await?;
        let server = Server::new(app.clone(), listener).map_err(io_failure)?;
        // The actual address, for scripts that bind port 0.
        outln!("listening on http://{}", server.addr);
        tracing::info!(addr = %server.addr, storage = app.store.backend(), "serving");
        let (tx, rx) = tokio::sync::watch::channel(false);
        let worker = (!a.no_worker).then(|| {
            let ctx = app.jobs.clone();
            let mut rx = rx.clone();
            tokio::spawn(async move {
                let stop = Box::pin(async move {
                    let _ = rx.wait_for(|v| *v).await;
                    Ok(())
                });
                if let Err(e) = run_workers(ctx, stop).await {
                    tracing::error!("worker stopped: {e}");
                }
            })
        });
        let wiring = ppi_server::ls_sync::wiring::off_reason(&app.jobs).is_none().then(|| {
            let secret = ppi_core::secret::Secret::new(String::from_utf8_lossy(&app.webhook_secret).into_owned());
            tokio::spawn(ppi_server::ls_sync::wiring::run(
                app.jobs.clone(),
                app.ls_wiring.clone(),
                secret,
                app.jobs.stopping.clone(),
            ))
        });
        // The audit log's retention: old events dropped now, then daily.
        tokio::spawn(ppi_server::security::audit::retention_loop(
            app.db.clone(),
            app.settings.security.audit_retention_days,
            app.jobs.stopping.clone(),
        ));
        let every = app.settings.label_studio.reconcile_secs;
        let reconcile = (app.jobs.ls.is_some() && every > 0).then(|| {
            tokio::spawn(ppi_server::ls_sync::reconcile::run(
                app.jobs.clone(),
                std::time::Duration::from_secs(every),
                rx.clone(),
            ))
        });
        let mut rx_server = rx.clone();
        let serving = tokio::spawn(server.run(Box::pin(async move {
            let _ = rx_server.wait_for(|v| *v).await;
        })));
        shutdown_signal().await;
        app.jobs.stopping.cancel();
        let _ = tx.send(true);
        // Requests in flight and running jobs get a short grace; jobs that do not finish in it
        // go back to the queue (they are keyed, so a re-run is safe). SIGTERM answers in < 2 s.
        let wind_down = async {
            let _ = serving.await;
            for task in [worker, reconcile, wiring].into_iter().flatten() {
                let _ = task.await;
            }
        };
        if tokio::time::timeout(STOP_WAIT, wind_down).await.is_err() {
            tracing::info!("stopped with requests or jobs in flight; jobs are queued again");
        }
        Ok(())
    });
    // Blocking work (FFmpeg, Whisper) saw the stop flag; do not wait for stragglers.
    rt.shutdown_timeout(Duration::from_millis(300));
    done
}

/// How long `serve` and `worker` wait for work in flight after SIGTERM or Ctrl-C.
const STOP_WAIT: Duration = Duration::from_millis(1500);

pub fn run_worker(settings: Settings, _ui: &Ui) -> Result<(), Failure> {
    let rt = super::runtime()?;
    let done = rt.block_on(async move {
        let app = Arc::new(App::open(settings).await?);
        clean_scratch(&app);
        tracing::info!(storage = app.store.backend(), "worker started");
        run_workers(
            app.jobs.clone(),
            Box::pin(async {
                shutdown_signal().await;
                Ok(())
            }),
        )
        .await
        .map_err(|e| Failure {
            code: "worker-failed",
            kind: ErrorKind::External,
            message: e.to_string(),
        })
    });
    rt.shutdown_timeout(Duration::from_millis(300));
    done
}

/// Removes what crashed processes left in `<data dir>/tmp` (entries nobody holds).
fn clean_scratch(app: &App) {
    match ppi_jobs::scratch::clean(&app.settings.server.data_dir.join("tmp"), None) {
        Ok(0) => {}
        Ok(n) => tracing::info!(removed = n, "removed leftover scratch entries"),
        Err(e) => tracing::warn!("scratch not cleaned: {e}"),
    }
}

/// On a fresh database, creates the admin named by `PPI_ADMIN_USER` / `PPI_ADMIN_PASSWORD`.
async fn bootstrap_admin(app: &App) -> Result<(), Failure> {
    if app.db.count_users().await? > 0 {
        return Ok(());
    }
    match (
        std::env::var("PPI_ADMIN_USER"),
        std::env::var("PPI_ADMIN_PASSWORD"),
    ) {
        (Ok(name), Ok(pass)) if !name.is_empty() => {
            ppi_store::accounts::add_user(&app.db, &name, "admin", &pass).await?;
            tracing::info!(user = %name, "created the first admin from PPI_ADMIN_USER");
        }
        _ => tracing::warn!("no users yet: add one with `ppi users add NAME --role admin`"),
    }
    Ok(())
}

pub fn run_users(cmd: UsersCommand, settings: Settings, ui: &Ui) -> Result<(), Failure> {
    let rt = super::runtime()?;
    rt.block_on(async move {
        let db = App::database(&settings).await?;
        match cmd {
            UsersCommand::Add { name, role } => {
                let pass = read_password("password")?;
                let u = ppi_store::accounts::add_user(&db, &name, &role, &pass).await?;
                audit_cli(
                    &db,
                    action::USER_ADDED,
                    &name,
                    Some(&format!("role {role}")),
                )
                .await;
                if !ui.quiet {
                    outln!("added {} ({})", u.username, u.role);
                }
            }
            UsersCommand::List => {
                for u in db.list_users().await? {
                    outln!("{}\t{}", u.username, u.role);
                }
            }
            UsersCommand::Remove { name } => {
                ppi_store::accounts::remove_user(&db, &name).await?;
                audit_cli(&db, action::USER_REMOVED, &name, None).await;
                if !ui.quiet {
                    outln!("removed {name}");
                }
            }
            UsersCommand::Token { name, label, days } => {
                let (id, token) =
                    ppi_store::accounts::create_api_token(&db, &name, &label, days).await?;
                audit_cli(&db, action::TOKEN_ISSUED, &id, Some(&format!("for {name}"))).await;
                errln!("API token {id} for {name} (shown once):");
                outln!("{token}");
            }
            UsersCommand::Tokens => {
                for t in db.api_tokens().await? {
                    outln!(
                        "{}\t{}\t{}\t{}",
                        t.id,
                        t.user,
                        t.label,
                        t.expires_at.map_or("never".into(), |e| e.to_string())
                    );
                }
            }
            UsersCommand::RevokeToken { id } => {
                if !db.delete_api_token(&id).await? {
                    return Err(Failure {
                        code: "token-not-found",
                        kind: ErrorKind::Input,
                        message: format!("no API token {id}"),
                    });
                }
                audit_cli(&db, action::TOKEN_REVOKED, &id, None).await;
                if !ui.quiet {
                    outln!("revoked {id}");
                }
            }
            UsersCommand::Passwd { name } => {
                let pass = read_password("new password")?;
                ppi_store::accounts::set_password(&db, &name, &pass).await?;
                audit_cli(&db, action::PASSWORD_CHANGED, &name, None).await;
                if !ui.quiet {
                    outln!("password changed for {name}");
                }
            }
        }
        Ok(())
    })
}
