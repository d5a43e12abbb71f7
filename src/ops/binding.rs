//! The per-project binding: a `.keyward.toml` in the current directory or a parent names the
//! service and/or profile for commands run inside it. Looked for upwards from the current
//! directory, stopping below the home directory (a file in the home itself would bind
//! everything) and where the file system changes (`st_dev`), as git stops at
//! `GIT_CEILING_DIRECTORIES` and mount points. Costs a `stat` of each directory and an
//! `open` of each candidate that fails (no file) on the way up.
//!
//! The file holds no secret and is read by a few lines of code, not a TOML library (the
//! fetch path reads it): `key = "value"` lines, `#` comments. Only `service` and `profile`
//! are keys; anything else is an error, and a key that looks like a secret one (`token`,
//! `password`, …) is refused with its own message. A file someone else could change (not
//! the user's, or writable by group or others) is refused, as ssh refuses such configs.

use std::path::{Path, PathBuf};

use crate::core::names::{ProfileName, ServiceName};
use crate::{App, Error, Result};

/// Largest binding file read: two short lines and comments.
const MAX_LEN: u64 = 16 * 1024;

/// A binding file and what it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The file.
    pub path: PathBuf,
    /// `service = "…"`.
    pub service: Option<ServiceName>,
    /// `profile = "…"`.
    pub profile: Option<ProfileName>,
}

/// `.keyward.toml` for keyward, `.<dir_name>.toml` for an embedding app.
pub fn file_name(app: &App) -> String {
    format!(".{}.toml", app.dir_name)
}

/// The nearest binding at or above `start`, below `home`, on `start`'s file system.
pub fn find(app: &App, start: &Path, home: Option<&Path>) -> Result<Option<Binding>> {
    #[cfg(unix)]
    use std::os::unix::fs::MetadataExt;
    let name = file_name(app);
    let mut device = None;
    for dir in start.ancestors() {
        if home.is_some_and(|h| h == dir) {
            break;
        }
        let Ok(meta) = std::fs::metadata(dir) else {
            break;
        };
        #[cfg(unix)]
        if *device.get_or_insert(meta.dev()) != meta.dev() {
            break;
        }
        #[cfg(not(unix))]
        let _ = (&meta, &mut device);
        let path = dir.join(&name);
        if let Some(bytes) = crate::store::fsutil::read_user_file(&path, MAX_LEN, 0o644)? {
            return parse(&path, &bytes).map(Some);
        }
    }
    Ok(None)
}

/// Parses a binding file's bytes; `path` names it in errors.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Binding> {
    let shown = path.display();
    let bad = |line: usize, what: String| {
        Error::usage(
            format!("{shown}, line {line}: {what}"),
            format!("a binding holds only service = \"…\" and profile = \"…\"; edit or remove {shown}"),
        )
    };
    let text = std::str::from_utf8(bytes).map_err(|_| bad(1, "is not UTF-8 text".into()))?;
    let mut b = Binding {
        path: path.to_path_buf(),
        service: None,
        profile: None,
    };
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, rest)) = line.split_once('=') else {
            return Err(bad(n, "expected key = \"value\"".into()));
        };
        let key = key.trim().trim_matches('"');
        if looks_secret(key) {
            return Err(Error::usage(
                format!("{shown}, line {n}: `{key}` looks like a secret, and a binding file is not private"),
                format!(
                    "remove that line from {shown} (revoke the value if it was real) and store it with `login` or `secrets set`"
                ),
            ));
        }
        let value = string_value(rest.trim())
            .ok_or_else(|| bad(n, format!("the value of `{key}` is not a quoted string")))?;
        let slot_taken = match key {
            "service" => b.service.replace(ServiceName::new(value)?).is_some(),
            "profile" => b.profile.replace(ProfileName::new(value)?).is_some(),
            other => return Err(bad(n, format!("unknown key `{other}`"))),
        };
        if slot_taken {
            return Err(bad(n, format!("`{key}` is given twice")));
        }
    }
    Ok(b)
}

/// `"name"` or `'name'`, optionally followed by a `#` comment.
fn string_value(s: &str) -> Option<&str> {
    let quote = s.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let body = &s[1..];
    let end = body.find(quote)?;
    let after = body[end + 1..].trim();
    let value = &body[..end];
    (after.is_empty() || after.starts_with('#'))
        .then_some(value)
        .filter(|v| !v.contains('\\'))
}

fn looks_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    const WORDS: [&str; 7] = [
        "token",
        "secret",
        "password",
        "passwd",
        "credential",
        "apikey",
        "api_key",
    ];
    WORDS.iter().any(|w| k.replace('-', "_").contains(w))
        || k == "key"
        || k.ends_with("_key")
        || k.ends_with("-key")
}

/// The file's text for `bind`.
pub fn render(app: &App, service: Option<&ServiceName>, profile: Option<&ProfileName>) -> String {
    let mut s = format!(
        "# {} binding: commands run in this directory and below use this service and profile.\n# Not secret; see `{}`.\n",
        app.name,
        app.cmd("bind --help")
    );
    if let Some(sv) = service {
        s.push_str(&format!("service = \"{sv}\"\n"));
    }
    if let Some(p) = profile {
        s.push_str(&format!("profile = \"{p}\"\n"));
    }
    s
}

/// `~/work/x/.keyward.toml` when under `home`, else the path as it is.
pub fn tilde(path: &Path, home: Option<&Path>) -> String {
    match home.and_then(|h| path.strip_prefix(h).ok()) {
        Some(rest) => format!("~/{}", rest.display()),
        None => path.display().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> PathBuf {
        PathBuf::from("/w/.keyward.toml")
    }

    #[test]
    fn reads_service_and_profile() {
        let b = parse(
            &p(),
            b"# bound\nservice = \"truto\"  # the API\n\nprofile='staging'\n",
        )
        .unwrap();
        assert_eq!(b.service.as_deref(), Some("truto"));
        assert_eq!(b.profile.as_deref(), Some("staging"));
        let only = parse(&p(), b"profile = \"ci\"\n").unwrap();
        assert_eq!((only.service, only.profile.as_deref()), (None, Some("ci")));
    }

    #[test]
    fn refuses_what_is_not_a_binding() {
        for (bytes, want) in [
            (&b"colour = \"red\"\n"[..], "unknown key `colour`"),
            (b"token = \"sk_live_x\"\n", "looks like a secret"),
            (b"api_key = \"x\"\n", "looks like a secret"),
            (b"github-token = \"x\"\n", "looks like a secret"),
            (b"service = truto\n", "not a quoted string"),
            (b"service = \"a\"\nservice = \"b\"\n", "given twice"),
            (b"[table]\n", "expected key"),
            (b"service = \"a\\\"b\"\n", "not a quoted string"),
            (b"\xff\n", "not UTF-8"),
        ] {
            let e = parse(&p(), bytes).unwrap_err();
            assert!(e.to_string().contains(want), "{e} should say {want}");
            assert!(!e.to_string().contains("sk_live_x"), "{e}");
            assert_eq!(e.exit_code(), 2);
        }
        assert_eq!(
            parse(&p(), b"service = \"Bad Name\"\n").unwrap_err().exit_code(),
            2
        );
    }

    #[test]
    fn renders_what_it_parses() {
        let app = App::keyward();
        let text = render(&app, Some(&"truto".into()), Some(&"staging".into()));
        let b = parse(&p(), text.as_bytes()).unwrap();
        assert_eq!(
            (b.service.as_deref(), b.profile.as_deref()),
            (Some("truto"), Some("staging"))
        );
        assert_eq!(
            tilde(Path::new("/h/w/.keyward.toml"), Some(Path::new("/h"))),
            "~/w/.keyward.toml"
        );
    }
}
