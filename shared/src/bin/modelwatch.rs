//! `modelwatch`: the operators' command line.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = modelwatch::cli::Cli::parse();
    let format = cli.format;
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(modelwatch::cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => modelwatch::cli::fail(&e, format, &mut std::io::stderr().lock()),
    }
}
