//! `trellis-relay`: the relay binary. Everything but logging setup lives in the library.

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;
use trellis_relay::config::{Command, LogFormat};
use trellis_relay::server::{serve, shutdown_signal};
use trellis_relay::Config;

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    init_logging(config.log_format);
    if let Some(Command::Admin { command }) = &config.command {
        let mut out = Vec::new();
        let done = trellis_relay::admin::run(&config, command, &mut out).await;
        {
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(&out).and_then(|()| stdout.flush());
        }
        return match done {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("trellis-relay admin: {e}");
                ExitCode::FAILURE
            }
        };
    }
    match serve(config, shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "the relay stopped");
            eprintln!("trellis-relay: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr at `RUST_LOG` (default `info`), as text or as one JSON object a line.
fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}
