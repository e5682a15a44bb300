use std::path::PathBuf;

use clap::{Parser, Subcommand};
use ops::{bench, bootstrap, openapi};
use shared::{aws, config::EnvReader};

/// Operations for Belta Shop Serverless (never deployed as a Lambda).
#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the table, the upload bucket and the mail identity if missing
    /// (TABLE_NAME, UPLOAD_BUCKET, MAIL_FROM; AWS_ENDPOINT_URL for the emulator).
    Bootstrap,
    /// Print the OpenAPI document, or write it to a file.
    Openapi {
        #[arg(long)]
        write: Option<PathBuf>,
    },
    /// Measure each binary's init time against a local stand-in of the Lambda runtime API.
    BenchInit {
        #[arg(long, default_value_t = 20)]
        runs: usize,
        /// Function binaries, e.g. target/release/welcome.
        binaries: Vec<PathBuf>,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Bootstrap => {
            let resources = bootstrap::Resources::read(EnvReader::from_env())?;
            bootstrap::run(&aws::sdk_config().await, &resources).await?;
        }
        Command::Openapi { write: None } => print!("{}", openapi::render()),
        Command::Openapi { write: Some(path) } => std::fs::write(&path, openapi::render())?,
        Command::BenchInit { runs, binaries } => {
            // Every setting a function may require, with harmless values: init must not need the network.
            let env: Vec<(String, String)> = [
                ("TABLE_NAME", "bench"),
                ("UPLOAD_BUCKET", "bench"),
                ("MAIL_FROM", "bench@example.com"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .to_vec();
            println!("| function | runs | init median | init p90 | init max |");
            println!("|---|---|---|---|---|");
            for binary in binaries {
                let mut durations = bench::measure_init(&binary, runs, &env).await?;
                let (median, p90, max) = bench::summarize(&mut durations);
                let name = binary
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                println!("| {name} | {runs} | {median:.2} ms | {p90:.2} ms | {max:.2} ms |");
            }
        }
    }
    Ok(())
}
