//! `git-credential-keyward`: keyward's git credential helper under the name git runs for
//! `credential.helper = keyward`. Everything lives in the library.

fn main() -> std::process::ExitCode {
    keyward::commands::git::helper_main(
        &keyward::App::keyward(),
        std::env::args_os(),
        keyward::Env::from_process(),
    )
}
