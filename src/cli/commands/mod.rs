//! One module per subcommand: an `Args` struct and a `run(ctx, args)` returning the exit code.

pub(crate) mod bind;
pub(crate) mod doctor;
pub(crate) mod exec;
pub(crate) mod git;
pub(crate) mod import;
pub(crate) mod kube_credential;
pub(crate) mod login;
pub(crate) mod logout;
pub(crate) mod migrate;
pub(crate) mod profiles;
pub(crate) mod secrets;
pub(crate) mod services;
pub(crate) mod sessions;
pub(crate) mod setup;
pub(crate) mod shared;
pub(crate) mod status;
pub(crate) mod token;
pub(crate) mod vault;
pub(crate) mod whoami;

use std::io::Read;

use crate::{Error, Result, Secret};

/// Largest token or secret accepted on stdin.
pub(crate) const MAX_STDIN: usize = 64 * 1024;

/// Reads one value from stdin: at most [`MAX_STDIN`] bytes, one trailing newline removed,
/// no other line breaks. `what` names the value in errors ("token", "secret value").
pub(crate) fn read_stdin_value(what: &str, flag: &str) -> Result<Secret> {
    let mut buf = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_STDIN as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Error::Other(format!("cannot read stdin: {e}")))?;
    value_from_bytes(buf, what, flag)
}

fn value_from_bytes(mut buf: Vec<u8>, what: &str, flag: &str) -> Result<Secret> {
    let result = (|| {
        if buf.len() > MAX_STDIN {
            return Err(Error::usage(
                format!("the {what} on stdin is larger than {} KiB", MAX_STDIN / 1024),
                format!("pipe only the {what} into {flag}"),
            ));
        }
        let mut end = buf.len();
        if buf[..end].ends_with(b"\n") {
            end -= 1;
            if buf[..end].ends_with(b"\r") {
                end -= 1;
            }
        }
        let text = std::str::from_utf8(&buf[..end]).map_err(|_| {
            Error::usage(
                format!("the {what} on stdin is not UTF-8 text"),
                format!("pipe the {what} as text into {flag}"),
            )
        })?;
        if text.is_empty() {
            return Err(Error::usage(
                format!("no {what} on stdin"),
                format!("pipe it in: echo \"$VALUE\" | … {flag}"),
            ));
        }
        if text.contains(['\n', '\r']) {
            return Err(Error::usage(
                format!("stdin holds more than one line; {flag} reads a single {what}"),
                format!("pipe only the {what}, on one line"),
            ));
        }
        Ok(Secret::new(text))
    })();
    zeroize::Zeroize::zeroize(&mut buf);
    result
}

/// Checks the shape of a token: not empty, no whitespace or control characters.
pub(crate) fn check_token_shape(token: &Secret) -> Result<()> {
    if token.is_empty() {
        return Err(Error::usage(
            "the token is empty",
            "pass the token you copied from the service",
        ));
    }
    if token
        .expose()
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(Error::usage(
            "the token contains whitespace or control characters",
            "copy the token again without spaces or line breaks",
        ));
    }
    if token.len() > MAX_STDIN {
        return Err(Error::usage(
            "the token is longer than 64 KiB",
            "check that you passed the token itself",
        ));
    }
    Ok(())
}

/// Asks a yes/no question on the terminal (default no); "no", Esc or Ctrl-C cancel (exit
/// 130). Callers decide whether a missing terminal means "go ahead" or "pass -f".
pub(crate) fn confirm_on_terminal(question: &str) -> Result<()> {
    if crate::cli::prompt::confirm(question, false)? {
        Ok(())
    } else {
        Err(Error::Cancelled)
    }
}

/// The usage error for a destructive command run without a terminal and without `-f`.
pub(crate) fn needs_force(what: &str) -> Error {
    Error::usage(
        format!("{what} asks for confirmation, and there is no terminal to ask on"),
        "pass -f to go ahead without asking",
    )
}

// Two ways of showing a stored RFC 3339 timestamp to people, kept side by side so they stay
// deliberate: table columns (`profiles list`, `secrets list`) leave the zone out to stay
// narrow; `status` fields say it, and show anything that is not plain UTC as stored.

/// For table columns: `2025-07-07T23:02:48Z` → `2025-07-07 23:02:48`; the zone is dropped.
pub(crate) fn human_time(rfc3339: &str) -> String {
    rfc3339.trim_end_matches('Z').replacen('T', " ", 1)
}

/// For labelled fields: `2025-07-07T23:02:48Z` → `2025-07-07 23:02:48 UTC`; any other
/// shape (fractions, offsets, garbage) is shown as it is.
pub(crate) fn human_time_utc(rfc3339: &str) -> String {
    match rfc3339.strip_suffix('Z') {
        Some(s) if s.len() == 19 && s.as_bytes()[10] == b'T' => format!("{} {} UTC", &s[..10], &s[11..]),
        _ => rfc3339.to_string(),
    }
}

/// A span of seconds as people say it: `45 s`, `14 min`, `2 h 5 min`, `3 days`.
pub(crate) fn human_span(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs} s"),
        // Rounded: a 10-minute token read a second after receipt still says 10 min.
        60..3570 => format!("{} min", (secs + 30) / 60),
        3570..3600 => "1 h".into(),
        3600..86400 if secs % 3600 / 60 == 0 => format!("{} h", secs / 3600),
        3600..86400 => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
        _ => format!("{} days", secs / 86400),
    }
}

/// How long ago an RFC 3339 time was, as people say it: `just now`, `14 min ago`,
/// `3 days ago`; a time that does not parse is shown as it is.
pub(crate) fn human_ago(rfc3339: &str, now: std::time::SystemTime) -> String {
    let Ok(t) = humantime::parse_rfc3339(rfc3339) else {
        return rfc3339.to_string();
    };
    match now.duration_since(t).map(|d| d.as_secs()) {
        Ok(s) if s < 60 => "just now".into(),
        Ok(s) => format!("{} ago", human_span(s)),
        // A clock that went back: the time is "now" as far as anyone can tell.
        Err(_) => "just now".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdin_values() {
        assert_eq!(
            value_from_bytes(b"tok\n".to_vec(), "token", "--with-token")
                .unwrap()
                .expose(),
            "tok"
        );
        assert_eq!(
            value_from_bytes(b"tok\r\n".to_vec(), "token", "--with-token")
                .unwrap()
                .expose(),
            "tok"
        );
        assert_eq!(
            value_from_bytes(b"tok".to_vec(), "token", "--with-token")
                .unwrap()
                .expose(),
            "tok"
        );
        for bad in [&b""[..], b"\n", b"a\nb\n", b"\xff\xfe"] {
            let e = value_from_bytes(bad.to_vec(), "token", "--with-token").unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad:?}");
        }
        let big = vec![b'a'; MAX_STDIN + 1];
        assert_eq!(
            value_from_bytes(big, "token", "--with-token")
                .unwrap_err()
                .exit_code(),
            2
        );
    }

    #[test]
    fn spans() {
        assert_eq!(human_span(45), "45 s");
        assert_eq!(human_span(599), "10 min");
        assert_eq!(human_span(869), "14 min");
        assert_eq!(human_span(3590), "1 h");
        assert_eq!(human_span(3600 + 300), "1 h 5 min");
        assert_eq!(human_span(3 * 86400), "3 days");
    }

    #[test]
    fn times_for_tables_and_fields() {
        assert_eq!(human_time("2025-07-07T23:02:48Z"), "2025-07-07 23:02:48");
        assert_eq!(human_time_utc("2025-07-07T23:02:48Z"), "2025-07-07 23:02:48 UTC");
        assert_eq!(human_time_utc("2025-07-07T23:02:48.5Z"), "2025-07-07T23:02:48.5Z");
        assert_eq!(human_time_utc("yesterday"), "yesterday");
    }

    #[test]
    fn token_shapes() {
        check_token_shape(&Secret::new("sk_abc")).unwrap();
        for bad in ["", "a b", "a\tb", "a\u{7f}"] {
            assert!(check_token_shape(&Secret::new(bad)).is_err(), "{bad:?}");
        }
    }
}
