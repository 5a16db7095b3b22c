//! The `labnet` command: serve the API, apply migrations, or print the OpenAPI document.

use std::net::TcpListener;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use labnet::config::Settings;
use labnet::server::{self, migrate};
use labnet::{openapi, telemetry};

#[derive(Parser)]
#[command(
    name = "labnet",
    version,
    about = "Registry of a clinical-laboratory network"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending migrations, then serve the HTTP API (the default).
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Print the OpenAPI document to stdout.
    Openapi,
    /// Fill an empty database (`DATABASE_URL`) with a synthetic network, for benchmarks.
    Generate(GenerateArgs),
    /// Load the illustrative demo data set (regions, laboratories, vendors, localizations,
    /// organizations, equipment, certificates and the Russia–Syria agreement); a second run
    /// changes nothing.
    SeedDemo,
    /// Make, list or revoke API keys, straight in the database (`labnet keys create --role
    /// admin --name ops` makes the first admin key).
    Keys {
        #[command(subcommand)]
        command: labnet::api_keys::cli::KeysCommand,
    },
}

#[derive(clap::Args)]
struct GenerateArgs {
    /// Regions, spread over several countries and nested four levels deep.
    #[arg(long, default_value_t = 2000)]
    regions: usize,
    /// Laboratories: a few large hubs, many collection points.
    #[arg(long, default_value_t = 10_000)]
    laboratories: usize,
    /// Vendors.
    #[arg(long, default_value_t = 500)]
    vendors: usize,
    /// Localizations, at every stage, each with its history.
    #[arg(long, default_value_t = 5_000)]
    localizations: usize,
    /// Seed of the random generator (the same seed gives the same data).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Rows per transaction.
    #[arg(long, default_value_t = 10_000)]
    batch_size: usize,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Openapi => print_openapi(),
        Command::Migrate => Settings::load().and_then(|settings| {
            telemetry::init_tracing(settings.log_format);
            migrate(&settings).map(|_| ())
        }),
        Command::Generate(args) => Settings::load().and_then(|settings| {
            telemetry::init_tracing(settings.log_format);
            generate(&settings, &args)
        }),
        // No log lines: `create` prints only the key on stdout, for scripts to capture.
        Command::Keys { command } => {
            Settings::load().and_then(|settings| labnet::api_keys::cli::run(&settings, command))
        }
        Command::SeedDemo => Settings::load().and_then(|settings| {
            telemetry::init_tracing(settings.log_format);
            seed_demo(&settings)
        }),
        Command::Serve => Settings::load().and_then(|settings| {
            telemetry::init_tracing(settings.log_format);
            serve(settings)
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("labnet: {message}");
            ExitCode::FAILURE
        }
    }
}

fn print_openapi() -> Result<(), String> {
    let json = openapi::spec_json().map_err(|e| format!("cannot render the spec: {e}"))?;
    print!("{json}");
    Ok(())
}

fn generate(settings: &Settings, args: &GenerateArgs) -> Result<(), String> {
    // The load uses up to three connections at once (one, plus two loaders or index builders).
    let settings = Settings {
        pool_size: settings.pool_size.max(3),
        ..settings.clone()
    };
    let pool = migrate(&settings)?;
    let options = labnet::generate::GenerateOptions {
        regions: args.regions,
        laboratories: args.laboratories,
        vendors: args.vendors,
        localizations: args.localizations,
        seed: args.seed,
        batch_size: args.batch_size.max(1),
        progress: std::io::IsTerminal::is_terminal(&std::io::stderr()),
    };
    let report = labnet::generate::generate(&pool, options)?;
    for line in report.lines {
        println!("{line}");
    }
    Ok(())
}

fn seed_demo(settings: &Settings) -> Result<(), String> {
    let pool = migrate(settings)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let report = runtime.block_on(labnet::demo::seed(&pool))?;
    for line in report.lines {
        println!("{line}");
    }
    Ok(())
}

fn serve(settings: Settings) -> Result<(), String> {
    let listener = TcpListener::bind(&settings.bind)
        .map_err(|e| format!("cannot listen on {}: {e}", settings.bind))?;
    let bind = settings.bind.clone();
    let workers = server::worker_count(&settings);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async move {
        // Within the runtime: the JWT verifier's key refresh runs on it.
        let (server, _pool) = server::start(settings, listener).await?;
        tracing::info!(bind = %bind, workers, "labnet is listening");
        // actix drains in-flight requests on SIGTERM/SIGINT before this returns.
        server.await.map_err(|e| format!("server error: {e}"))?;
        tracing::info!("labnet stopped");
        Ok(())
    })
}
