//! The loopback redirect of a browser login (RFC 8252 §7.3): a listener on 127.0.0.1, bound
//! before the browser opens, that takes the one redirect to its path, checks `state` (and
//! `iss` when sent), answers one page saying the window may be closed, and is closed when
//! dropped. A URL pasted on stdin (`--no-browser`) is taken the same way.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use crate::auth::oauth::interrupt::Interrupted;
use crate::{Error, Result};

/// How long a browser login waits for the redirect.
const WAIT: Duration = Duration::from_secs(600);

/// The listener and the redirect URI it answers.
pub(crate) struct Loopback {
    listener: TcpListener,
    path: String,
    /// `http://127.0.0.1:PORT/callback`.
    pub redirect_uri: String,
}

/// What the redirect must carry.
pub(crate) struct Expect<'a> {
    pub state: &'a str,
    pub issuer: Option<&'a str>,
    /// For the hint of a refused login.
    pub login_cmd: String,
}

impl Loopback {
    /// Binds 127.0.0.1 on `port` (any free one when `None`).
    pub(crate) fn bind(port: Option<u16>, path: &str) -> Result<Loopback> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port.unwrap_or(0))).map_err(|e| {
            Error::Other(format!(
                "cannot listen on 127.0.0.1 for the browser's redirect: {e}"
            ))
        })?;
        listener
            .set_nonblocking(true)
            .map_err(|e| Error::Other(format!("cannot set up the redirect listener: {e}")))?;
        let port = listener
            .local_addr()
            .map_err(|e| Error::Other(e.to_string()))?
            .port();
        Ok(Loopback {
            listener,
            path: path.to_string(),
            redirect_uri: format!("http://127.0.0.1:{port}{path}"),
        })
    }

    /// Waits for the redirect (or a pasted URL) and returns the authorization code.
    pub(crate) fn wait(
        &self,
        expect: &Expect<'_>,
        stop: &Interrupted,
        pasted: Option<&Receiver<String>>,
    ) -> Result<String> {
        let end = Instant::now() + WAIT;
        loop {
            stop.check()?;
            if Instant::now() > end {
                return Err(refused(
                    expect,
                    "no answer came from the browser within 10 minutes",
                ));
            }
            if let Some(line) = pasted.and_then(|rx| rx.try_recv().ok()) {
                let query = line
                    .trim()
                    .split_once('?')
                    .map(|(_, q)| q.to_string())
                    .unwrap_or_default();
                match check(expect, &query) {
                    Ok(Some(code)) => return Ok(code),
                    Ok(None) => continue,
                    Err(e) => return Err(e),
                }
            }
            match self.listener.accept() {
                Ok((stream, _)) => {
                    if let Some(code) = self.answer(stream, expect)? {
                        return Ok(code);
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(30)),
                Err(e) => return Err(Error::Other(format!("the redirect listener failed: {e}"))),
            }
        }
    }

    /// Reads one request; answers it; `Some(code)` for the redirect of this login.
    fn answer(&self, stream: TcpStream, expect: &Expect<'_>) -> Result<Option<String>> {
        let _ = stream.set_nonblocking(false);
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        let mut line = String::new();
        let mut reader = BufReader::new(&stream);
        if reader.by_ref().take(8192).read_line(&mut line).is_err() {
            return Ok(None);
        }
        let target = line.split_whitespace().nth(1).unwrap_or_default();
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        if path != self.path {
            reply(&stream, "404 Not Found", "Not the login redirect.");
            return Ok(None);
        }
        match check(expect, query) {
            Ok(Some(code)) => {
                reply(
                    &stream,
                    "200 OK",
                    "Logged in. You may close this window and return to the terminal.",
                );
                Ok(Some(code))
            }
            Ok(None) => {
                reply(
                    &stream,
                    "400 Bad Request",
                    "This answer does not belong to the login in progress.",
                );
                Ok(None)
            }
            Err(e) => {
                reply(
                    &stream,
                    "200 OK",
                    "The login did not complete; see the terminal. You may close this window.",
                );
                Err(e)
            }
        }
    }
}

/// `Ok(Some(code))` for this login's answer, `Ok(None)` for one that is not ours (another
/// `state`), `Err` for a refusal or an answer from another issuer.
fn check(expect: &Expect<'_>, query: &str) -> Result<Option<String>> {
    let mut code = None;
    let mut state = None;
    let mut iss = None;
    let mut error = None;
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        match &*k {
            "code" => code = Some(v.into_owned()),
            "state" => state = Some(v.into_owned()),
            "iss" => iss = Some(v.into_owned()),
            "error" => error = Some(crate::auth::oauth::client::printable(&v)),
            _ => {}
        }
    }
    if state.as_deref() != Some(expect.state) {
        return Ok(None);
    }
    if let (Some(got), Some(want)) = (iss.as_deref(), expect.issuer)
        && got.trim_end_matches('/') != want.trim_end_matches('/')
    {
        return Err(refused(
            expect,
            "the answer came from another issuer than the one configured",
        ));
    }
    if let Some(e) = error {
        let what = if e == "access_denied" {
            "the login was denied in the browser (access_denied)".to_string()
        } else {
            format!("the authorization server refused the login ({e})")
        };
        return Err(refused(expect, &what));
    }
    Ok(code.filter(|c| !c.is_empty()))
}

fn refused(expect: &Expect<'_>, what: &str) -> Error {
    Error::AuthRefused {
        message: what.to_string(),
        hint: format!("try again: `{}`", expect.login_cmd),
    }
}

fn reply(mut stream: &TcpStream, status: &str, text: &str) {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Login</title></head><body><p>{text}</p></body></html>"
    );
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expect() -> Expect<'static> {
        Expect {
            state: "s1",
            issuer: Some("https://auth.example.test"),
            login_cmd: "keyward -s x login".into(),
        }
    }

    #[test]
    fn only_this_logins_answer_counts() {
        let e = expect();
        assert_eq!(check(&e, "code=c1&state=s1").unwrap().as_deref(), Some("c1"));
        assert_eq!(
            check(&e, "code=c1&state=s1&iss=https%3A%2F%2Fauth.example.test%2F")
                .unwrap()
                .as_deref(),
            Some("c1")
        );
        // Another login's answer is ignored, not taken.
        assert_eq!(check(&e, "code=c1&state=other").unwrap(), None);
        assert_eq!(check(&e, "code=c1").unwrap(), None);
        // Another issuer (a mix-up) and a refusal end the login: exit 4.
        let mixed = check(&e, "code=c1&state=s1&iss=https%3A%2F%2Fevil.test").unwrap_err();
        assert_eq!(mixed.exit_code(), 4);
        let denied = check(&e, "error=access_denied&state=s1").unwrap_err();
        assert!(denied.to_string().contains("denied"), "{denied}");
        assert_eq!(denied.exit_code(), 4);
    }

    #[test]
    fn the_listener_answers_its_path_and_closes_when_dropped() {
        let l = Loopback::bind(None, "/callback").unwrap();
        assert!(l.redirect_uri.starts_with("http://127.0.0.1:") && l.redirect_uri.ends_with("/callback"));
        let port = l.listener.local_addr().unwrap().port();
        drop(l);
        assert!(TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err());
    }
}
