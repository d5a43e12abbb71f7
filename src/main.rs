//! The `keyward` binary: everything lives in the library.

fn main() -> std::process::ExitCode {
    keyward::cli::run(
        &keyward::App::keyward(),
        std::env::args_os(),
        keyward::Env::from_process(),
    )
}
