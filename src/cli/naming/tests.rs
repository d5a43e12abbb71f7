//! Unit tests of the renaming: nothing changes for keyward, no keyward is left for an
//! embedder, and each kind of word is rewritten as it should be.

use super::*;
use crate::core::service::{Service, ServiceConfig};

fn acme() -> App {
    let mut app = App::new("acme").with_service(Service::new(
        "acme",
        ServiceConfig {
            token_env: vec!["ACME_API_KEY".into()],
            ..ServiceConfig::default()
        },
    ));
    app.command = "acme auth".into();
    app
}

/// Every command's short and long help, hidden ones included, keyed by its path.
fn helps(mut cmd: Command) -> Vec<(String, String)> {
    fn walk(cmd: &mut Command, path: String, out: &mut Vec<(String, String)>) {
        out.push((path.clone(), cmd.render_help().to_string()));
        out.push((path.clone() + " (long)", cmd.render_long_help().to_string()));
        for s in cmd.get_subcommands_mut() {
            let p = format!("{path} {}", s.get_name());
            walk(s, p, out);
        }
    }
    cmd.build();
    let mut out = Vec::new();
    let name = cmd.get_name().to_string();
    walk(&mut cmd, name, &mut out);
    out
}

#[test]
fn for_keyward_itself_nothing_changes() {
    let before = helps(crate::cli::Cli::command());
    let after = helps(for_app(&App::keyward(), crate::cli::Cli::command()));
    assert!(
        before.len() > 40,
        "every subcommand is compared: {}",
        before.len()
    );
    for ((path, b), (_, a)) in before.iter().zip(&after) {
        assert_eq!(a, b, "help of `{path}` changed");
    }
    assert_eq!(before.len(), after.len());
}

#[test]
fn for_an_embedder_no_keyward_is_left_in_any_help() {
    let app = acme();
    for (path, help) in helps(program(&app)) {
        assert!(!help.to_lowercase().contains("keyward"), "`{path}`:\n{help}");
    }
}

#[test]
fn words_are_rewritten_by_role() {
    let app = acme();
    let r = Renamer::new(&app, ["login", "token", "exec"].map(String::from).into());
    let cases = [
        (
            "  keyward -s truto login   # asks",
            "  acme auth login          # asks",
        ),
        ("  keyward -s other login", "  acme auth -s other login"),
        (
            "for $(keyward token) or `keyward exec`",
            "for $(acme auth token) or `acme auth exec`",
        ),
        ("[env: KEYWARD_SERVICE; x]", "[env: ACME_SERVICE; x]"),
        ("keyward keeps tokens", "acme keeps tokens"),
        ("service keyward:truto", "service acme:truto"),
        (
            "see https://keyward.dev/keyward docs",
            "see https://keyward.dev/keyward docs",
        ),
        ("completions/keyward and _keyward", "completions/acme and _acme"),
        (
            "keyward.1 and keyward-COMMAND.1",
            "acme.1 and acme-auth-COMMAND.1",
        ),
        (
            "e.g. TRUTO_API_TOKEN and KEYWARD_TOKEN",
            "e.g. ACME_API_KEY and ACME_TOKEN",
        ),
        ("  KEYWARD_EXEC=1   so scripts", "  ACME_EXEC=1      so scripts"),
        ("keywardx MYKEYWARD_X", "keywardx MYKEYWARD_X"),
    ];
    for (from, to) in cases {
        assert_eq!(r.text(from), to, "{from}");
    }
}

#[test]
fn a_program_of_its_own_is_named_after_the_app() {
    let mut cmd = parser(&App::new("foo"));
    cmd.build();
    let logout = cmd.find_subcommand_mut("logout").unwrap();
    let help = logout.render_long_help().to_string();
    assert!(help.contains("Usage: foo logout"), "{help}");
    assert!(help.contains("\n  foo -s truto logout -p staging"), "{help}");
    assert!(help.contains("[env: FOO_PROFILE]"), "{help}");
    assert!(!help.to_lowercase().contains("keyward"), "{help}");
    let err = cmd
        .try_get_matches_from_mut(["whatever", "logout", "--bogus"])
        .unwrap_err();
    assert!(err.to_string().contains("Usage: foo logout"), "{err}");
}

#[test]
fn augment_renames_only_the_embedded_subtree() {
    let root = Command::new("acme")
        .about("keyward is not named here")
        .subcommand(crate::cli::Cli::command().name("auth"));
    let mut cmd = augment(&acme(), root);
    assert_eq!(cmd.get_about().unwrap().to_string(), "keyward is not named here");
    cmd.build();
    let login = cmd
        .find_subcommand_mut("auth")
        .unwrap()
        .find_subcommand_mut("login")
        .unwrap();
    let help = login.render_long_help().to_string();
    assert!(help.contains("Usage: acme auth login"), "{help}");
    assert!(help.contains("  acme auth login"), "{help}");
    assert!(help.contains("[env: ACME_API_KEY, ACME_TOKEN]"), "{help}");
}
