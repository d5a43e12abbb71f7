//! The clap tree under the app's own name: help, examples, env vars, usage, completions and
//! man pages of an embedding CLI say `acme auth login` and `ACME_SERVICE`, never keyward's.
//!
//! The help strings are written once, for keyward; [`for_app`] rewrites them word by word,
//! so for [`App::keyward`] it changes nothing.

use std::collections::BTreeSet;

use clap::{Command, CommandFactory};

use crate::App;

/// What the help strings are written as, and rewritten from.
pub(crate) const NAME: &str = "keyward";
const ENV_PREFIX: &str = "KEYWARD_";
/// The services the examples use; for an app with a built-in service they name that one.
const EXAMPLE_SERVICES: &[&str] = &["truto", "the0"];

/// `cmd` (keyward's tree, or any part of it) with every user-visible string in the whole
/// subtree rewritten for `app`: `keyward login` → `acme auth login`, `KEYWARD_SERVICE` →
/// `ACME_SERVICE`, keyward as a name in prose → `acme`. For an app with a built-in service
/// the examples drop `-s truto` (the built-in one is the default), name its env vars, and
/// `--token`/`--api-url` list the env vars that override them.
///
/// ```
/// use clap::CommandFactory;
/// let mut app = keyward::App::new("acme");
/// app.command = "acme auth".into();
/// let mut cmd = keyward::cli::naming::for_app(&app, keyward::cli::Cli::command());
/// let help = cmd.render_long_help().to_string();
/// assert!(help.contains("ACME_SERVICE") && !help.contains("KEYWARD_"));
/// ```
pub fn for_app(app: &App, cmd: Command) -> Command {
    let mut words = BTreeSet::new();
    subcommand_names(&cmd, &mut words);
    words.insert("help".to_string());
    let renamer = Renamer::new(app, words);
    renamer.command(cmd)
}

/// The embedder's own command `root` with keyward's subtree renamed by [`for_app`]: the
/// subtree is found by the words of `app.command` after the program name (`acme auth` →
/// subcommand `auth`). Parse with it, then `from_arg_matches`:
///
/// ```ignore
/// let matches = keyward::cli::augment(&app, AcmeCli::command()).get_matches();
/// let cli = AcmeCli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
/// ```
///
/// The subtree gets keyward's top-level examples (renamed) unless the embedder wrote its own
/// `after_help` for it.
pub fn augment(app: &App, root: Command) -> Command {
    let path: Vec<&str> = app.command.split_whitespace().skip(1).collect();
    descend(app, root, &path)
}

fn descend(app: &App, cmd: Command, path: &[&str]) -> Command {
    match path {
        [] => {
            let cmd = match cmd.get_after_help() {
                Some(_) => cmd,
                None => cmd.after_help(super::top_after_help()),
            };
            for_app(app, cmd)
        }
        [first, rest @ ..] if cmd.find_subcommand(first).is_some() => {
            cmd.mut_subcommand(first, |c| descend(app, c, rest))
        }
        // Not where `app.command` says: leave the embedder's tree as it is.
        _ => cmd,
    }
}

/// The whole program, for completions and man pages: keyward's own tree for keyward; the
/// embedder's root ([`App::with_root_command`]) augmented; else keyward's tree renamed and
/// nested under the words of `app.command` (`acme` → `auth` → `login` …).
pub fn program(app: &App) -> Command {
    if is_keyward(app) {
        return super::Cli::command();
    }
    if let Some(root) = app.root_command {
        return augment(app, (root.0)());
    }
    let mut words: Vec<&str> = app.command.split_whitespace().collect();
    let last = words.pop().unwrap_or(NAME).to_string();
    let mut cmd = for_app(app, super::Cli::command()).name(last);
    while let Some(w) = words.pop() {
        cmd = Command::new(w.to_string())
            .subcommand_required(true)
            .subcommand(cmd);
    }
    cmd
}

/// keyward's own tree as a whole program of another name (`keyward::cli::main` started for
/// an [`App`] that is not keyward): usage lines say `foo login`, `--version` says `foo`.
pub(crate) fn parser(app: &App) -> Command {
    for_app(app, super::Cli::command())
        .name(app.command.clone())
        .bin_name(app.command.clone())
}

/// One string of keyward's (a man page's own text) as `app` says it.
pub(crate) fn rename_text(app: &App, text: &str) -> String {
    if is_keyward(app) {
        return text.to_string();
    }
    let mut words = BTreeSet::new();
    subcommand_names(&super::Cli::command(), &mut words);
    Renamer::new(app, words).text(text)
}

/// The program's name, as shells and man pages know it: `acme` for `acme auth`.
pub fn program_name(app: &App) -> String {
    app.command.split_whitespace().next().unwrap_or(NAME).to_string()
}

/// Whether `app` is keyward itself under keyward's names: the help needs no rewriting.
pub(crate) fn is_keyward(app: &App) -> bool {
    let kw = App::keyward();
    app.command == kw.command
        && app.name == kw.name
        && app.env_prefix == kw.env_prefix
        && app.keyring_prefix == kw.keyring_prefix
        && app.builtin_service.is_none()
}

fn subcommand_names(cmd: &Command, out: &mut BTreeSet<String>) {
    for s in cmd.get_subcommands() {
        out.insert(s.get_name().to_string());
        subcommand_names(s, out);
    }
}

struct Renamer<'a> {
    app: &'a App,
    /// Words that make `keyward <word>` a command line rather than prose.
    subcommands: BTreeSet<String>,
    /// `(TRUTO_API_TOKEN, ACME_API_KEY)`…: example env vars → the built-in service's.
    service_vars: Vec<(String, String)>,
    /// The env vars of the built-in service's token and URL, shown on `--token`/`--api-url`.
    token_vars: Vec<String>,
    url_vars: Vec<String>,
}

impl<'a> Renamer<'a> {
    fn new(app: &'a App, subcommands: BTreeSet<String>) -> Self {
        let (mut service_vars, mut token_vars, mut url_vars) = (Vec::new(), Vec::new(), Vec::new());
        if let Some(s) = &app.builtin_service {
            token_vars = s.token_env_vars(app);
            url_vars = s.url_env_vars(app);
            for ex in EXAMPLE_SERVICES {
                let up = ex.to_ascii_uppercase();
                for (var, to) in [
                    ("API_TOKEN", &token_vars),
                    ("TOKEN", &token_vars),
                    ("API_URL", &url_vars),
                ] {
                    if let Some(to) = to.first() {
                        service_vars.push((format!("{up}_{var}"), to.clone()));
                    }
                }
            }
            for v in [&mut token_vars, &mut url_vars] {
                let mut seen = BTreeSet::new();
                v.retain(|x| seen.insert(x.clone()));
            }
        }
        Renamer {
            app,
            subcommands,
            service_vars,
            token_vars,
            url_vars,
        }
    }

    fn command(&self, mut cmd: Command) -> Command {
        let t = |s: &clap::builder::StyledStr| self.text(&s.to_string());
        if let Some(s) = cmd.get_about().map(t) {
            cmd = cmd.about(s);
        }
        if let Some(s) = cmd.get_long_about().map(t) {
            cmd = cmd.long_about(s);
        }
        if let Some(s) = cmd.get_before_help().map(t) {
            cmd = cmd.before_help(s);
        }
        if let Some(s) = cmd.get_before_long_help().map(t) {
            cmd = cmd.before_long_help(s);
        }
        if let Some(s) = cmd.get_after_help().map(t) {
            cmd = cmd.after_help(s);
        }
        if let Some(s) = cmd.get_after_long_help().map(t) {
            cmd = cmd.after_long_help(s);
        }
        cmd = cmd.mut_args(|mut a| {
            let overrides = match a.get_long() {
                Some("token") => &self.token_vars,
                Some("api-url") => &self.url_vars,
                _ => &Vec::new(),
            };
            let env_note = (!overrides.is_empty()).then(|| format!(" [env: {}]", overrides.join(", ")));
            if let Some(h) = a.get_help() {
                let mut s = self.text(&h.to_string());
                s.push_str(env_note.as_deref().unwrap_or_default());
                a = a.help(s);
            }
            if let Some(h) = a.get_long_help() {
                let mut s = self.text(&h.to_string());
                s.push_str(env_note.as_deref().unwrap_or_default());
                a = a.long_help(s);
            }
            a
        });
        let subs: Vec<String> = cmd.get_subcommands().map(|s| s.get_name().to_string()).collect();
        for name in subs {
            cmd = cmd.mut_subcommand(name, |s| self.command(s));
        }
        cmd
    }

    /// `text` for the app, line by line; a line's aligned column (`# comment` after an
    /// example) stays where it was when a name of another length replaced keyward's.
    fn text(&self, text: &str) -> String {
        let lines: Vec<String> = text
            .split('\n')
            .map(|l| {
                let new = self.line(l);
                if new == l { new } else { realign(l, &new) }
            })
            .collect();
        lines.join("\n")
    }

    fn line(&self, line: &str) -> String {
        let app = self.app;
        let mut out = String::with_capacity(line.len());
        let mut i = 0;
        while i < line.len() {
            let tail = &line[i..];
            let prev = line[..i].chars().next_back();
            let starts_word = prev.is_none_or(|c| !c.is_ascii_alphanumeric() && c != '_');
            if starts_word && tail.starts_with(ENV_PREFIX) {
                out.push_str(&app.env_var(""));
                i += ENV_PREFIX.len();
                continue;
            }
            let service_var = self
                .service_vars
                .iter()
                .find(|(from, _)| tail.starts_with(from.as_str()) && !continues_word(&tail[from.len()..]));
            if let Some((from, to)) = service_var.filter(|_| starts_word) {
                out.push_str(to);
                i += from.len();
                continue;
            }
            let is_name = tail.starts_with(NAME) && !continues_word(&tail[NAME.len()..]);
            // `_keyward` (zsh's completion file) is the name too.
            let starts_name = prev.is_none_or(|c| !c.is_ascii_alphanumeric());
            if !(starts_name && is_name) || in_url(line, i) {
                let c = tail.chars().next().unwrap_or_default();
                out.push(c);
                i += c.len_utf8();
                continue;
            }
            let after = &tail[NAME.len()..];
            i += NAME.len();
            if after.starts_with(':') {
                out.push_str(&app.keyring_prefix);
            } else if after.starts_with('-') {
                // keyward-COMMAND.1: the man page of a subcommand.
                out.push_str(&app.command.replace(' ', "-"));
            } else if let Some(args) = after.strip_prefix(' ').filter(|a| self.is_command_line(a)) {
                out.push_str(&app.command);
                if let Some(skip) = self.example_service_flag(args) {
                    i += skip;
                }
            } else {
                out.push_str(&app.name);
            }
        }
        out
    }

    /// `keyward <args>` is a command line when `args` starts with a flag or a subcommand.
    fn is_command_line(&self, args: &str) -> bool {
        let word = args
            .split(|c: char| c.is_whitespace() || matches!(c, ')' | '`' | '\'' | '"' | ',' | ';'))
            .next()
            .unwrap_or_default();
        word.starts_with('-') || self.subcommands.contains(word)
    }

    /// For an app with a built-in service, the length of ` -s truto` to drop from an example.
    fn example_service_flag(&self, args: &str) -> Option<usize> {
        self.app.builtin_service.as_ref()?;
        let rest = args.strip_prefix("-s ")?;
        let service = EXAMPLE_SERVICES
            .iter()
            .find(|s| rest.starts_with(**s) && rest[s.len()..].starts_with(' '))?;
        Some(" -s ".len() + service.len())
    }
}

fn continues_word(rest: &str) -> bool {
    rest.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Whether byte `i` of `line` is inside a URL (`https://…keyward…` stays as written).
fn in_url(line: &str, i: usize) -> bool {
    let start = line[..i].rfind(char::is_whitespace).map_or(0, |p| p + 1);
    let end = line[i..].find(char::is_whitespace).map_or(line.len(), |p| i + p);
    line[start..end].contains("://")
}

/// `new` with its first aligned column (text after a run of two or more spaces, past the
/// indent) at the column it had in `old`, keeping at least two spaces.
fn realign(old: &str, new: &str) -> String {
    let (Some((old_col, _)), Some((new_col, gap))) = (first_gap(old), first_gap(new)) else {
        return new.to_string();
    };
    if old_col == new_col {
        return new.to_string();
    }
    let chars: Vec<char> = new.chars().collect();
    let spaces = (gap as isize + old_col as isize - new_col as isize).max(2) as usize;
    let before: String = chars[..new_col - gap].iter().collect();
    let after: String = chars[new_col..].iter().collect();
    format!("{before}{}{after}", " ".repeat(spaces))
}

/// The char column of the text after the first internal run of ≥ 2 spaces, and its length.
fn first_gap(line: &str) -> Option<(usize, usize)> {
    let chars: Vec<char> = line.chars().collect();
    let mut i = chars.iter().take_while(|c| **c == ' ').count();
    while i < chars.len() {
        if chars[i] == ' ' {
            let run = chars[i..].iter().take_while(|c| **c == ' ').count();
            if run >= 2 && i + run < chars.len() {
                return Some((i + run, run));
            }
            i += run;
        } else {
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
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
}
