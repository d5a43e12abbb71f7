//! The `keyward` binary (also installed as the link `git-credential-keyward`): everything
//! lives in the library, which answers to the name it was started as.

fn main() -> std::process::ExitCode {
    keyward::cli::main(&keyward::App::keyward())
}
