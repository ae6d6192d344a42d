//! `mediconnect`: the MediConnect server and its maintenance commands.

use clap::{Parser, Subcommand};
use mediconnect_api::{backup, cli, config::Config, startup::Application, telemetry};

#[derive(Parser)]
#[command(name = "mediconnect", version, about = "MediConnect API server")]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API and the web app (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Fill an empty database with demo doctors, patients and an admin.
    SeedDemo,
    /// Create an admin account. The password is read from standard input.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
    /// Copy a running SQLite database to FILE, consistently, without stopping the
    /// server. (On PostgreSQL, prints the pg_dump command to use instead.)
    Backup {
        #[arg(long, value_name = "FILE")]
        out: std::path::PathBuf,
    },
    /// Replace the SQLite database with a backup. Refused while a server uses it; the
    /// replaced database is kept beside it. (On PostgreSQL, prints the pg_restore
    /// command to use instead.)
    Restore {
        #[arg(long, value_name = "FILE")]
        from: std::path::PathBuf,
    },
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    // A missing .env is fine; a malformed one is reported.
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        eprintln!("error: cannot read .env: {e}");
        return std::process::ExitCode::FAILURE;
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: invalid configuration: {e:#}");
            return std::process::ExitCode::from(2);
        }
    };
    telemetry::init(config.log_format);
    let result = match args.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config),
        Command::Migrate => cli::migrate(&config),
        Command::SeedDemo => cli::seed_demo(&config),
        Command::CreateAdmin { email, name } => cli::create_admin(&config, &email, &name),
        Command::Backup { out } => backup::backup(&config.database, &out),
        Command::Restore { from } => backup::restore(&config.database, &from, chrono::Utc::now()),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn serve(config: Config) -> anyhow::Result<()> {
    // Held until the process ends: `mediconnect restore` will not replace a database
    // in use, and a second server on one SQLite file is refused.
    let _in_use = backup::lock_database(&config.database)?;
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(config).await?;
        app.run_until_signalled().await?;
        Ok(())
    })
}
