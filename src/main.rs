//! The `ppi` command. All logic lives in the library; this only maps failures to exit codes.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = ppi::cli::Cli::parse();
    let json = cli.log_format == ppi::telemetry::LogFormat::Json;
    match ppi::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            if json {
                let line =
                    serde_json::json!({"level": "ERROR", "code": f.code, "message": f.message});
                ppi::cli::write_err(format_args!("{line}\n"));
            } else {
                ppi::cli::write_err(format_args!("error[{}]: {}\n", f.code, f.message));
            }
            ExitCode::from(u8::try_from(f.kind.exit_code()).unwrap_or(1))
        }
    }
}
