use clap::Parser;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    let cli = claimtrack::cli::Cli::parse();
    match claimtrack::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("claimtrack: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
