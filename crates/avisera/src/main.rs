//! The `avisera` binary: `demo`, `serve`, and operator commands.
#![forbid(unsafe_code)]

use avisera::cli;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    cli::main().await
}
