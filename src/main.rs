use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = agentload::cli::Cli::parse();
    match agentload::commands::dispatch(cli) {
        Ok(outcome) => outcome.into(),
        Err(err) => {
            agentload::errln!("error: {err}");
            err.exit_code().into()
        }
    }
}
