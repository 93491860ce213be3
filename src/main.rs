//! The `icp-builder` binary: runs the server (the default) and manages accounts from the shell.

use clap::{Parser, Subcommand};
use icp_builder::account::{TokenScope, MAX_TOKEN_DAYS};
use icp_builder::auth;
use icp_builder::server::serve::serve;
use icp_builder::state::{AppState, Config, LogFormat};
use icp_builder::store::{self, DEFAULT_DATABASE_URL};
use leptos::prelude::get_configuration;
use std::io::Read;
use std::process::ExitCode;
use std::time::Duration;

/// The server allocates and frees many small values per request (headers, JSON, rows); mimalloc
/// does that with less work than the system allocator (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "icp-builder",
    version,
    about = "Define Ideal Customer Profiles for lead generation"
)]
struct Cli {
    /// sqlite://… or postgres://…; the default is a SQLite file under ./data/.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    database_url: String,
    #[command(flatten)]
    config: Config,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (the default).
    Serve,
    /// Manage users.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Tokens(TokensCommand),
    /// Read the sign-ups the sign-up policy refused (recorded outside any workspace).
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Write a consistent copy of the SQLite database to PATH (a new file) while the server runs
    /// and writes. To restore: stop the server, replace the database file with the copy (and
    /// remove its -wal and -shm files), start it. On Postgres, use pg_dump instead.
    Backup {
        /// The file to write; it must not exist.
        path: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Create a user; the password is read from standard input. Prints the new user's id.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
    /// Set a user's password (read from standard input, as `create` reads it) and sign them out
    /// everywhere: how an administrator resets a forgotten password when no mail is sent.
    SetPassword {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
enum TokensCommand {
    /// Create an API token for a user. Prints the token once; only its hash is stored.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        label: String,
        /// `read` only reads (any change answers 403); `write` may also change.
        #[arg(long, value_enum, default_value_t = TokenScope::Write)]
        scope: TokenScope,
        /// Days until the token stops working (1 to 3650); without it, it never expires.
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=i64::from(MAX_TOKEN_DAYS)))]
        expires_in_days: Option<u16>,
    },
}

/// Most refusals `audit sign-ups` prints.
const MAX_SIGN_UPS_SHOWN: u32 = 1000;

#[derive(Subcommand)]
enum AuditCommand {
    /// Print the newest sign-ups the sign-up policy (SIGN_UP) refused, newest first, a line each:
    /// time, email, reason, client address, the workspace whose invitation link was used ("-"
    /// for none). Kept 30 days, at most 100,000.
    SignUps {
        /// How many to print (1 to 1000).
        #[arg(long, default_value_t = 50,
              value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_SIGN_UPS_SHOWN)))]
        limit: u32,
    },
}

/// `text` with its control characters escaped (`\u{1b}`): stored text printed to a terminal never
/// drives it.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A refusal as `audit sign-ups` prints it: tab-separated, "-" for what is unknown.
fn refusal_line(refusal: &store::StoredRefusal) -> String {
    let workspace = match &refusal.invitation {
        Some(workspace) => {
            let name = workspace
                .name
                .as_deref()
                .map_or("deleted".into(), printable);
            format!("{} ({name})", workspace.id)
        }
        None => "-".to_owned(),
    };
    let address = refusal
        .address
        .map_or("-".into(), |address| address.to_string());
    format!(
        "{}\t{}\t{}\t{address}\t{workspace}",
        refusal.at,
        printable(&refusal.email),
        refusal.reason.as_str(),
    )
}

/// How long the runtime waits, at exit, for blocking tasks (password hashes) still running; they
/// cannot be cancelled, and waiting for them unbounded could stall a shutdown.
const BLOCKING_TASKS_AT_EXIT: Duration = Duration::from_secs(2);

/// Log lines on standard error, as text or one JSON object per line (`LOG_FORMAT`); which ones,
/// by `RUST_LOG` (default: info, but sqlx only from warn).
fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}

fn main() -> ExitCode {
    // Empty PUBLIC_URL / METRICS_ADDR / SMTP_URL mean "not set" (as an unset variable), not a bad
    // value. Nothing else runs yet, so changing the environment here races with no one.
    for name in ["PUBLIC_URL", "METRICS_ADDR", "SMTP_URL"] {
        if std::env::var_os(name).is_some_and(|value| value.is_empty()) {
            std::env::remove_var(name);
        }
    }
    let cli = Cli::parse();
    init_logs(cli.config.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(cli));
    runtime.shutdown_timeout(BLOCKING_TASKS_AT_EXIT);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// With hashed file names (LEPTOS_HASH_FILES=true), pages name the bundle from the hash file
/// cargo-leptos writes beside the binary; Leptos panics on every page without it, so the start
/// stops instead, saying so.
fn hash_file_present(options: &leptos::prelude::LeptosOptions) -> Result<(), String> {
    if !options.hash_files {
        return Ok(());
    }
    let beside_binary = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(options.hash_file.as_ref())));
    match beside_binary {
        Some(path) if path.is_file() => Ok(()),
        Some(path) => Err(format!(
            "the bundle's names carry hashes (LEPTOS_HASH_FILES, on in a release build) but {} is \
             missing: build with `cargo leptos build --release`, or set LEPTOS_HASH_FILES=false",
            path.display()
        )),
        None => Err("the bundle's names carry hashes but the binary's directory is unknown".into()),
    }
}

/// A password from standard input, without its line ending.
fn read_password() -> Result<String, String> {
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
    Ok(password.trim_end_matches(['\r', '\n']).to_owned())
}

async fn run(cli: Cli) -> Result<(), String> {
    store::set_cache_budget(cli.config.cache_bytes());
    let store = store::connect(&cli.database_url)
        .await
        .map_err(|e| format!("cannot open the database: {e}"))?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let mut leptos_options = get_configuration(None)
                .map_err(|e| format!("cannot read the Leptos configuration: {e}"))?
                .leptos_options;
            leptos_options.site_addr = cli.config.addr;
            icp_builder::server::site::apply_release_defaults(&mut leptos_options);
            hash_file_present(&leptos_options)?;
            icp_builder::forms::set_stylesheet(icp_builder::app::stylesheet_path(&leptos_options));
            let state = AppState::new(leptos_options, store, cli.config)
                .await
                .map_err(|e| format!("cannot open the session store: {e}"))?;
            serve(state)
                .await
                .map_err(|e| format!("server failed: {e}"))
        }
        Command::Users(UsersCommand::Create { email, name }) => {
            let password = read_password()?;
            let user = auth::create_user(store.as_ref(), &email, &name, &password)
                .await
                .map_err(|e| e.to_string())?;
            println!("{}", user.id);
            Ok(())
        }
        Command::Users(UsersCommand::SetPassword { email }) => {
            let password = read_password()?;
            let user = auth::set_password(store.as_ref(), &email, &password)
                .await
                .map_err(|e| e.to_string())?;
            auth::session::SessionBackend::open(&store.pools())
                .await
                .map_err(|e| format!("cannot open the session store: {e}"))?
                .end_all(&user)
                .await
                .map_err(|e| {
                    format!("the password is set, but the sessions could not be ended: {e}")
                })?;
            println!("Password set for {email}; every session of theirs has ended.");
            Ok(())
        }
        Command::Backup { path } => {
            store::backup(&store.pools(), &path)
                .await
                .map_err(|e| e.to_string())?;
            let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            println!("Backed up to {} ({bytes} bytes)", path.display());
            Ok(())
        }
        Command::Audit(AuditCommand::SignUps { limit }) => {
            let refusals = store
                .sign_up_refusals(limit)
                .await
                .map_err(|e| format!("cannot read the sign-up refusals: {e}"))?;
            if refusals.is_empty() {
                eprintln!("No refused sign-up is recorded.");
            }
            for refusal in &refusals {
                println!("{}", refusal_line(refusal));
            }
            Ok(())
        }
        Command::Tokens(TokensCommand::Create {
            email,
            label,
            scope,
            expires_in_days,
        }) => {
            let terms = auth::TokenTerms {
                scope,
                expires_in_days,
            };
            let (_, token) = auth::create_token(store.as_ref(), &email, &label, terms)
                .await
                .map_err(|e| e.to_string())?;
            println!("{token}");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use store::{InvitingWorkspace, RefusalReason, StoredRefusal, WorkspaceId};

    #[test]
    fn a_refusal_line_names_its_workspace_or_says_it_is_gone() {
        let id = WorkspaceId::parse("ws_acme").unwrap();
        let refusal = |name: Option<&str>| StoredRefusal {
            at: icp_builder::domain::Timestamp::parse("2026-12-07T10:00:00Z").unwrap(),
            email: "eve@example.com".into(),
            reason: RefusalReason::InvitedAnotherAddress,
            address: Some("203.0.113.7".parse().unwrap()),
            invitation: Some(InvitingWorkspace {
                id: id.clone(),
                name: name.map(str::to_owned),
            }),
        };
        let named = refusal_line(&refusal(Some("Acme\tInc")));
        assert!(
            named.ends_with(
                "\teve@example.com\tinvited-another-address\t203.0.113.7\tws_acme (Acme\\tInc)"
            ),
            "{named}"
        );
        let gone = refusal_line(&refusal(None));
        assert!(gone.ends_with("\t203.0.113.7\tws_acme (deleted)"), "{gone}");
        let alone = refusal_line(&StoredRefusal {
            address: None,
            invitation: None,
            ..refusal(None)
        });
        assert!(
            alone.ends_with("\tinvited-another-address\t-\t-"),
            "{alone}"
        );
    }
}
