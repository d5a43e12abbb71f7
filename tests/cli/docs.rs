//! Completions in real bash, zsh and fish (names from the index, hidden commands never
//! offered), man pages rendered by man(1), the help's environment and global-options
//! layout, and gh's `auth` spelling.

use std::path::{Path, PathBuf};
use std::process::Command;

use rexpect::reader::Options;
use rexpect::session::spawn_with_options;

use crate::harness::{TestEnv, bin};

const HIDDEN: &[&str] = &[
    "get",
    "store",
    "erase",
    "generate",
    "helper",
    "kube-credential",
    "auth",
];

/// An env with profiles `staging-eu` and `prod-us` and the secret `github-token` stored (file).
fn stored() -> TestEnv {
    let t = TestEnv::no_bus();
    for p in ["staging-eu", "prod-us"] {
        let tok = t.sentinel("sk_");
        t.cmd(&["login", "--with-token", "--no-verify", "-p", p])
            .stdin(tok)
            .run()
            .ok();
    }
    let v = t.sentinel("ghp_");
    t.cmd(&["secrets", "set", "github-token"]).stdin(v).run().ok();
    t
}

/// PATH with the tested binary first, so the scripts' callback runs it.
fn path_with_bin() -> String {
    let dir = Path::new(bin()).parent().unwrap().display().to_string();
    format!("{dir}:{}", std::env::var("PATH").unwrap_or_default())
}

/// A shell run with the env's variables, the binary on PATH and its completion script.
fn shell(t: &TestEnv, program: &str, args: &[&str]) -> Command {
    let mut c = t.plain_command(program, args);
    c.env("PATH", path_with_bin())
        .env("HOME", t.dir.path())
        .env("LANG", "C.UTF-8");
    c
}

fn script(t: &TestEnv, shell: &str) -> PathBuf {
    let out = t.raw(&["completions", shell]).run();
    out.ok();
    let path = t.dir.path().join(format!("completion.{shell}"));
    std::fs::write(&path, &out.stdout).unwrap();
    path
}

/// Keeps what the shell showed, for the record (target/tmp/completion-<shell>.txt).
fn transcript(shell: &str, text: &str) {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("completion-{shell}.txt"));
    std::fs::write(&path, text).unwrap();
}

fn bash_complete(t: &TestEnv, words: &[&str]) -> Vec<String> {
    let script = script(t, "bash");
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let prog = format!(
        "source '{}'; COMP_WORDS=({}); COMP_CWORD={}; COMP_LINE=\"${{COMP_WORDS[*]}}\"; \
         COMP_POINT=${{#COMP_LINE}}; _clap_complete_keyward keyward \"${{COMP_WORDS[-1]}}\" \"${{COMP_WORDS[-2]}}\"; \
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display(),
        quoted.join(" "),
        words.len() - 1
    );
    let out = shell(t, "bash", &["--norc", "--noprofile", "-c", &prog])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "bash: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.trim().to_string())
        .collect()
}

fn fish_complete(t: &TestEnv, line: &str) -> Vec<String> {
    let script = script(t, "fish");
    let prog = format!("source '{}'; complete --do-complete '{line}'", script.display());
    let out = shell(t, "fish", &["--no-config", "-c", &prog]).output().unwrap();
    assert!(
        out.status.success(),
        "fish: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines()
        .map(|l| l.split('\t').next().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn bash_completes_profile_service_and_secret_names() {
    let t = stored();
    let profiles = bash_complete(&t, &["keyward", "-s", &t.svc, "-p", ""]);
    assert!(profiles.contains(&"staging-eu".to_string()), "{profiles:?}");
    assert!(profiles.contains(&"prod-us".to_string()), "{profiles:?}");
    let services = bash_complete(&t, &["keyward", "--service", ""]);
    assert_eq!(services, [t.svc.as_str()], "the one service stored");
    let secrets = bash_complete(&t, &["keyward", "-s", &t.svc, "secrets", "get", ""]);
    assert!(secrets.contains(&"github-token".to_string()), "{secrets:?}");
    let used = bash_complete(&t, &["keyward", "-s", &t.svc, "profiles", "use", "st"]);
    assert_eq!(used, ["staging-eu"]);
    transcript(
        "bash",
        &format!("$ keyward -s {} -p <TAB>\n{}\n", t.svc, profiles.join("\n")),
    );
}

#[test]
fn fish_completes_profile_names() {
    let t = stored();
    let line = format!("keyward -s {} -p ", t.svc);
    let got = fish_complete(&t, &line);
    assert!(
        got.contains(&"staging-eu".to_string()) && got.contains(&"prod-us".to_string()),
        "{got:?}"
    );
    let switch = fish_complete(&t, &format!("keyward -s {} profiles switch pr", t.svc));
    assert_eq!(switch, ["prod-us"]);
    transcript(
        "fish",
        &format!("> complete --do-complete '{line}'\n{}\n", got.join("\n")),
    );
}

#[test]
fn zsh_completes_a_profile_name_on_tab() {
    let t = stored();
    let script = script(&t, "zsh");
    let mut c = shell(&t, "zsh", &["-f", "-i"]);
    c.env("TERM", "dumb").env("PS1", "%% ");
    let mut p = spawn_with_options(
        c,
        Options::new()
            .timeout_ms(Some(20_000))
            .strip_ansi_escape_codes(true),
    )
    .expect("zsh on a pty");
    p.send_line(&format!(
        "autoload -U compinit && compinit -u && source '{}' && echo loaded-ok",
        script.display()
    ))
    .unwrap();
    p.exp_string("loaded-ok").expect("the script loads");
    // `st` then TAB: the only profile starting so is put on the line; then Ctrl-A and
    // `echo picked: ` turn the completed line into one that prints itself.
    p.send(&format!("keyward -s {} -p st", t.svc)).unwrap();
    p.send("\t").unwrap();
    p.send("\x01echo picked: ").unwrap();
    p.send_line("").unwrap();
    // echo's own output line (the line being edited ends in a space, echo's does not).
    let line = format!("picked: keyward -s {} -p staging-eu\r\n", t.svc);
    let seen = p.exp_string(&line);
    assert!(seen.is_ok(), "zsh did not complete `st` to staging-eu: {seen:?}");
    transcript(
        "zsh",
        &format!("% keyward -s {} -p st<TAB>\n{}", t.svc, line.replace('\r', "")),
    );
    p.send_line("exit").unwrap();
}

#[test]
fn completions_never_offer_hidden_commands() {
    let t = stored();
    let bash = bash_complete(&t, &["keyward", ""]);
    let fish = fish_complete(&t, "keyward ");
    for got in [&bash, &fish] {
        assert!(
            got.contains(&"login".to_string()) && got.contains(&"profiles".to_string()),
            "{got:?}"
        );
        for h in HIDDEN {
            assert!(!got.contains(&h.to_string()), "{h} offered: {got:?}");
        }
    }
    let g = bash_complete(&t, &["keyward", "g"]);
    assert!(
        !g.contains(&"get".to_string()) && !g.contains(&"generate".to_string()),
        "{g:?}"
    );
}

#[test]
fn completion_opens_no_keyring() {
    // Backend `keyring` with no bus: any keyring access would fail; the names still come.
    let mut t = stored();
    t.set("KEYWARD_BACKEND", "keyring");
    let got = bash_complete(&t, &["keyward", "-s", &t.svc, "-p", ""]);
    assert!(got.contains(&"staging-eu".to_string()), "{got:?}");
}

#[test]
fn typo_tips_never_name_hidden_commands() {
    let t = TestEnv::no_bus();
    for (typed, hidden) in [
        ("gte", "get"),
        ("stroe", "store"),
        ("genrate", "generate"),
        ("helpr", "helper"),
    ] {
        let out = t.raw(&[typed]).run();
        out.code(2)
            .stderr_has(&format!("unrecognized subcommand '{typed}'"));
        out.stderr_lacks(&format!("'{hidden}'"));
    }
    t.raw(&["lgin"]).run().code(2).stderr_has("'login'");
}

/// The sections every page has, in this order.
const SECTIONS: &[&str] = &[
    "NAME",
    "SYNOPSIS",
    "DESCRIPTION",
    "OPTIONS",
    "EXAMPLES",
    "EXIT STATUS",
    "ENVIRONMENT",
    "FILES",
    "SEE ALSO",
];

#[test]
fn man_pages_have_every_section_and_render_cleanly() {
    let t = TestEnv::no_bus();
    let dir = t.dir.path().join("man");
    t.raw(&["generate", "man", dir.to_str().unwrap()]).run().ok();
    let mut pages: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    pages.sort();
    let names: Vec<String> = pages
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into())
        .collect();
    for h in [
        "git-credential",
        "docker-credential",
        "cargo-credential",
        "terraform-credentials",
        "vault-token-helper",
    ] {
        assert!(
            names.contains(&format!("{h}-keyward.1")),
            "no page for {h}-keyward: {names:?}"
        );
    }
    for visible in crate::fixtures::command_paths(Vec::new(), false) {
        let mut name = vec!["keyward".to_string()];
        name.extend(visible);
        assert!(
            names.contains(&format!("{}.1", name.join("-"))),
            "no page {}",
            name.join("-")
        );
    }
    for page in &pages {
        let src = std::fs::read_to_string(page).unwrap();
        let heads: Vec<&str> = src
            .lines()
            .filter_map(|l| l.strip_prefix(".SH "))
            .map(|s| s.trim_matches('"'))
            // Option headings of clap's (GLOBAL OPTIONS, OAUTH …) and SUBCOMMANDS come between.
            .filter(|s| SECTIONS.contains(s))
            .collect();
        assert_eq!(heads, SECTIONS, "{}", page.display());
        // The text of section `name`, up to the next one.
        let section = |name: &str| {
            let after = src.split(&format!(".SH {name}")).nth(1).unwrap();
            after.split(".SH").next().unwrap()
        };
        let description = section("DESCRIPTION");
        assert!(
            description.lines().any(|l| !l.is_empty() && !l.starts_with('.')),
            "{}: empty DESCRIPTION",
            page.display()
        );
        let examples = section("EXAMPLES");
        assert!(
            examples.contains(".nf") && examples.contains(".fi"),
            "{}: examples not preformatted",
            page.display()
        );
        for var in [
            "KEYWARD_HOME",
            "KEYWARD_KEYRING_TIMEOUT",
            "KEYWARD_HTTP_TIMEOUT",
            "HTTPS_PROXY",
            "KEYWARD_TOKEN",
        ] {
            assert!(src.contains(var), "{}: no {var}", page.display());
        }
        let out = Command::new("man")
            .args(["--warnings", "-l"])
            .arg(page)
            .env("MANWIDTH", "80")
            .env("LANG", "C.UTF-8")
            .env("MAN_KEEP_FORMATTING", "0")
            .output()
            .expect("man runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && err.is_empty(),
            "{}: man says {err}",
            page.display()
        );
        let text = unbold(&String::from_utf8_lossy(&out.stdout));
        assert!(
            text.contains("EXIT STATUS") && text.contains("SEE ALSO"),
            "{}",
            page.display()
        );
    }
    // An example line stays one line as man shows it (not reflowed into the next).
    let out = Command::new("man")
        .arg("-l")
        .arg(dir.join("keyward-login.1"))
        .env("MANWIDTH", "80")
        .output()
        .unwrap();
    let text = unbold(&String::from_utf8_lossy(&out.stdout));
    let example = "keyward -s truto login --token <token> -p production --api-url https://api.eu.truto.one";
    assert!(text.lines().any(|l| l.trim() == example), "{text}");
}

/// man's output without its overstrike bold (`N\x08N`).
fn unbold(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if i + 1 < chars.len() && chars[i + 1] == '\x08' {
            i += 2;
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

#[test]
fn help_names_the_environment_and_keeps_globals_after_own_options() {
    let t = TestEnv::no_bus();
    let top = t.raw(&["--help"]).run();
    top.ok();
    let env = top
        .stdout
        .split("Environment:")
        .nth(1)
        .expect("an Environment: block");
    for var in [
        "KEYWARD_HOME",
        "KEYWARD_KEYRING_TIMEOUT",
        "KEYWARD_HTTP_TIMEOUT",
        "HTTPS_PROXY",
        "KEYWARD_TOKEN",
        "<SERVICE>_API_TOKEN",
    ] {
        assert!(env.contains(var), "no {var} in the top-level help");
    }
    assert!(
        top.stdout.contains("gh users: `keyward auth login"),
        "the gh note"
    );
    let commands = top
        .stdout
        .split("Commands:")
        .nth(1)
        .unwrap()
        .split("Options:")
        .next()
        .unwrap();
    assert!(
        !commands.lines().any(|l| l.trim_start().starts_with("auth ")),
        "auth is not listed"
    );
    t.raw(&["login", "--help"])
        .run()
        .stdout_has("HTTPS_PROXY")
        .stdout_has("KEYWARD_HTTP_TIMEOUT");
    t.raw(&["token", "--help"])
        .run()
        .stdout_has("<SERVICE>_API_TOKEN");
    for cmd in crate::fixtures::command_paths(Vec::new(), false)
        .into_iter()
        .filter(|c| !c.is_empty())
    {
        let mut argv: Vec<&str> = cmd.iter().map(String::as_str).collect();
        argv.push("--help");
        let help = t.raw(&argv).run().stdout;
        let own = help
            .find("\nOptions:")
            .unwrap_or_else(|| panic!("{cmd:?}: no Options"));
        let globals = help
            .find("\nGlobal options:")
            .unwrap_or_else(|| panic!("{cmd:?}: no Global options"));
        assert!(own < globals, "{cmd:?}: globals before the command's own options");
        let block = help[globals..].split("\n\n\n").next().unwrap();
        let block = block.split("\nExamples:").next().unwrap();
        let lines = block.trim().lines().count();
        assert!(lines <= 24, "{cmd:?}: the global options take {lines} lines");
    }
}

#[test]
fn gh_auth_spellings_work() {
    let t = TestEnv::no_bus();
    let tok = t.sentinel("sk_");
    t.cmd(&["auth", "login", "--with-token", "--no-verify", "-p", "work"])
        .stdin(tok.clone())
        .run()
        .ok();
    let other = t.sentinel("sk_");
    t.cmd(&["auth", "login", "--with-token", "--no-verify", "-p", "home"])
        .stdin(other.clone())
        .run()
        .ok();
    t.cmd(&["auth", "switch", "work"]).run().ok();
    assert_eq!(t.index()["services"][&t.svc]["active_profile"], "work");
    let out = t.cmd(&["auth", "token"]).prints_secret().run();
    out.ok();
    assert_eq!(out.stdout.trim(), tok);
    t.cmd(&["profiles", "switch", "home"]).run().ok();
    assert_eq!(t.index()["services"][&t.svc]["active_profile"], "home");
    let out = t.cmd(&["auth", "token"]).prints_secret().run();
    assert_eq!(out.stdout.trim(), other);
    t.cmd(&["auth", "logout", "-p", "work"]).run().ok();
    assert!(t.index()["services"][&t.svc]["profiles"].get("work").is_none());
}
