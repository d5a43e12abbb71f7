//! The wire format against protocols.md's byte strings.

use super::*;
use std::io::Write;

const SENTINEL: &str = "SENTINEL-PW-123";

fn http_transcript_input() -> Vec<u8> {
    // From protocols.md, "Real HTTP transcript": each `$` is an LF, no blank line.
    concat!(
        "capability[]=authtype\n",
        "capability[]=state\n",
        "protocol=http\n",
        "host=127.0.0.1:18765\n",
        "wwwauth[]=Basic realm=\"test\"\n",
        "wwwauth[]=Bearer realm=\"test\", scope=\"repo\"\n",
    )
    .as_bytes()
    .to_vec()
}

fn response_bytes(resp: &Response, offered: &Request) -> Vec<u8> {
    let mut out = Vec::new();
    write_response(resp, offered, &mut out).expect("write_response");
    out
}

fn assert_no_sentinel(err: &ProtocolError) {
    let shown = err.to_string();
    assert!(!shown.contains(SENTINEL), "leaked value: {shown}");
    assert!(!format!("{err:?}").contains(SENTINEL), "leaked value in Debug");
    assert!(!shown.contains('\n'), "message must be one line: {shown}");
    assert!(shown.starts_with(|c: char| c.is_ascii_lowercase()));
}

#[test]
fn parses_the_32_byte_plumbing_input_without_blank_line() {
    let input = b"protocol=https\nhost=example.com\n";
    assert_eq!(input.len(), 32);
    let req = parse(input).unwrap();
    assert_eq!(
        req,
        Request {
            protocol: Some("https".into()),
            host: Some("example.com".into()),
            ..Request::default()
        }
    );
}

#[test]
fn parses_the_149_byte_http_transcript() {
    let input = http_transcript_input();
    assert_eq!(input.len(), 149);
    let req = parse(&input).unwrap();
    assert_eq!(req.capabilities, ["authtype", "state"]);
    assert!(req.has_capability("authtype"));
    assert!(req.has_capability("state"));
    assert!(!req.has_capability("auth"));
    assert_eq!(req.protocol.as_deref(), Some("http"));
    assert_eq!(req.host.as_deref(), Some("127.0.0.1:18765"));
    assert_eq!(
        req.wwwauth,
        ["Basic realm=\"test\"", "Bearer realm=\"test\", scope=\"repo\""]
    );
    assert_eq!(req.username, None);
    assert_eq!(req.password, None);
    assert!(req.state.is_empty());
}

#[test]
fn parses_store_with_all_scalar_fields() {
    let input = b"protocol=https\nhost=example.com\npath=org/repo.git\nusername=bob\n\
                  password=s3cr3t\noauth_refresh_token=rt\npassword_expiry_utc=1700000000\n\
                  authtype=Bearer\ncredential=tok\nephemeral=1\nstate[]=keyward:x\n";
    let req = parse(input).unwrap();
    assert_eq!(req.path.as_deref(), Some("org/repo.git"));
    assert_eq!(req.username.as_deref(), Some("bob"));
    assert_eq!(req.password, Some(Secret::new("s3cr3t")));
    assert_eq!(req.oauth_refresh_token, Some(Secret::new("rt")));
    assert_eq!(req.password_expiry_utc, Some(1_700_000_000));
    assert_eq!(req.authtype.as_deref(), Some("Bearer"));
    assert_eq!(req.credential, Some(Secret::new("tok")));
    assert!(req.ephemeral);
    assert_eq!(req.state, ["keyward:x"]);
}

#[test]
fn final_line_without_lf_is_accepted() {
    let req = parse(b"protocol=https\nhost=example.com").unwrap();
    assert_eq!(req.host.as_deref(), Some("example.com"));
}

#[test]
fn empty_input_is_an_empty_request() {
    assert_eq!(parse(b"").unwrap(), Request::default());
}

#[test]
fn values_may_contain_equals_signs() {
    let req = parse(b"password=a=b==\n").unwrap();
    assert_eq!(req.password, Some(Secret::new("a=b==")));
}

#[test]
fn url_is_split_like_git_t17() {
    let req = parse(b"url=https://alice@example.com:8443/org/repo.git\n").unwrap();
    assert_eq!(
        req,
        Request {
            protocol: Some("https".into()),
            host: Some("example.com:8443".into()),
            username: Some("alice".into()),
            path: Some("org/repo.git".into()),
            ..Request::default()
        }
    );
}

#[test]
fn url_user_and_password_are_percent_decoded() {
    let req = parse(b"url=https://al%40ice:p%40ss%3Aw0rd@example.com/a/b//\n").unwrap();
    assert_eq!(req.username.as_deref(), Some("al@ice"));
    assert_eq!(req.password, Some(Secret::new("p@ss:w0rd")));
    assert_eq!(req.host.as_deref(), Some("example.com"));
    assert_eq!(req.path.as_deref(), Some("a/b"), "trailing slashes trimmed");
}

#[test]
fn url_decoding_keeps_gits_colon_quirk() {
    // Observed with git 2.47.3 `credential fill`: username=uA, password=p%40:xA,
    // path=a%3Ab:cA, and host=ex%2Ecom:80 (the part before a ':' is not decoded).
    let req = parse(b"url=https://u%41:p%40:x%41@ex.com/a%3Ab:c%41\n").unwrap();
    assert_eq!(req.username.as_deref(), Some("uA"));
    assert_eq!(req.password, Some(Secret::new("p%40:xA")));
    assert_eq!(req.path.as_deref(), Some("a%3Ab:cA"));
    let req = parse(b"url=https://ex%2Ecom:80/%2Fp\n").unwrap();
    assert_eq!(req.host.as_deref(), Some("ex%2Ecom:80"));
    assert_eq!(req.path.as_deref(), Some("/p"));
    let req = parse(b"url=https://ex%2Ecom/x\n").unwrap();
    assert_eq!(req.host.as_deref(), Some("ex.com"));
}

#[test]
fn url_edge_cases_match_git() {
    // Each expectation was checked against git 2.47.3.
    let req = parse(b"url=https://@ex.com/\n").unwrap();
    assert_eq!(req.username.as_deref(), Some(""));
    assert_eq!(req.path, None);
    let req = parse(b"url=https://u:@ex.com\n").unwrap();
    assert_eq!(req.password, Some(Secret::new("")));
    let req = parse(b"url=https:///path\n").unwrap();
    assert_eq!(req.host.as_deref(), Some(""));
    assert_eq!(req.path.as_deref(), Some("path"));
    let req = parse(b"url=https://ex.com?x@y/z\n").unwrap();
    assert_eq!(req.host.as_deref(), Some("ex.com"));
    assert_eq!(req.username, None);
    assert_eq!(req.path.as_deref(), Some("?x@y/z"));
    let req = parse(b"url=https://a%00b@ex.com/\n").unwrap();
    assert_eq!(req.username.as_deref(), Some("a%00b"), "%00 is never decoded");
}

#[test]
fn url_clears_earlier_fields_and_later_keys_override_it() {
    let input = b"capability[]=authtype\nusername=zed\npath=x\nwwwauth[]=w\n\
                  password=old\nurl=https://alice@example.com/a\nusername=bob\nhost=h2\n";
    let req = parse(input).unwrap();
    assert_eq!(
        req,
        Request {
            protocol: Some("https".into()),
            host: Some("h2".into()),
            path: Some("a".into()),
            username: Some("bob".into()),
            ..Request::default()
        }
    );
}

#[test]
fn url_git_would_refuse_is_an_error_without_the_value() {
    for bad in [
        format!("url=example.com/{SENTINEL}\n"),
        format!("url=://{SENTINEL}@example.com\n"),
        format!("url=https://u:{SENTINEL}%0A@example.com\n"),
        format!("url=https://u:{SENTINEL}%0d@example.com\n"),
        format!("url=https://u:{SENTINEL}%FF@example.com\n"),
    ] {
        let input = format!("protocol=https\n{bad}");
        let err = parse(input.as_bytes()).unwrap_err();
        assert!(matches!(err, ProtocolError::BadUrl { line: 2 }), "{err:?}");
        assert_no_sentinel(&err);
    }
}

#[test]
fn unknown_keys_are_ignored() {
    let req = parse(b"protocol=https\nfuture_key=1\nfuture[]=x\ncontinue=1\nhost=h\n").unwrap();
    assert_eq!(req.protocol.as_deref(), Some("https"));
    assert_eq!(req.host.as_deref(), Some("h"));
}

#[test]
fn empty_multi_value_resets_the_list() {
    let input = b"capability[]=authtype\ncapability[]=\ncapability[]=state\n\
                  wwwauth[]=a\nwwwauth[]=\nwwwauth[]=b\nstate[]=s1\nstate[]=\n";
    let req = parse(input).unwrap();
    assert_eq!(req.capabilities, ["state"]);
    assert!(!req.has_capability("authtype"));
    assert_eq!(req.wwwauth, ["b"]);
    assert!(req.state.is_empty());
}

#[test]
fn blank_line_stops_parsing() {
    let input = b"protocol=https\nhost=example.com\n\nusername=late\nno equals here\n\0";
    let err = parse(input).unwrap_err();
    assert!(matches!(err, ProtocolError::Nul), "NUL is refused anywhere");
    let input = b"protocol=https\nhost=example.com\n\nusername=late\nno equals here\n";
    let req = parse(input).unwrap();
    assert_eq!(req.host.as_deref(), Some("example.com"));
    assert_eq!(req.username, None);
}

#[test]
fn later_scalar_wins() {
    let req = parse(b"username=a\nusername=b\n").unwrap();
    assert_eq!(req.username.as_deref(), Some("b"));
}

#[test]
fn expiry_parsing() {
    let expiry = |v: &str| {
        parse(format!("password_expiry_utc={v}\n").as_bytes())
            .unwrap()
            .password_expiry_utc
    };
    assert_eq!(expiry("1700000000"), Some(1_700_000_000));
    assert_eq!(expiry("18446744073709551615"), Some(u64::MAX));
    assert_eq!(expiry("18446744073709551616"), None);
    assert_eq!(expiry("0"), None);
    assert_eq!(expiry("abc"), None);
    assert_eq!(expiry(""), None);
    assert_eq!(expiry("-5"), None);
    assert_eq!(expiry("+5"), None);
    assert_eq!(expiry(" 5"), None);
}

#[test]
fn ephemeral_parsing() {
    let eph = |v: &str| parse(format!("ephemeral={v}\n").as_bytes()).unwrap().ephemeral;
    assert!(eph("1"));
    assert!(eph("true"));
    assert!(eph("TRUE"));
    assert!(eph("yes"));
    assert!(!eph("0"));
    assert!(!eph("false"));
    assert!(!eph(""));
    assert!(!eph("maybe"));
}

#[test]
fn oversize_input_is_refused() {
    let mut input = vec![b'a'; MAX_INPUT + 1];
    input[..SENTINEL.len()].copy_from_slice(SENTINEL.as_bytes());
    let err = parse(&input).unwrap_err();
    assert!(matches!(err, ProtocolError::TooLarge));
    assert_no_sentinel(&err);
}

#[test]
fn input_of_exactly_max_size_is_parsed() {
    let mut input = b"host=h\n\n".to_vec();
    input.resize(MAX_INPUT, b'x');
    assert_eq!(parse(&input).unwrap().host.as_deref(), Some("h"));
}

#[test]
fn long_line_is_refused() {
    let input = format!("protocol=https\npassword={SENTINEL}{}\n", "x".repeat(100_000));
    let err = parse(input.as_bytes()).unwrap_err();
    assert!(matches!(err, ProtocolError::LineTooLong { line: 2 }), "{err:?}");
    assert_no_sentinel(&err);
    assert!(err.to_string().contains("line 2"));
}

#[test]
fn line_limit_counts_the_lf() {
    let fits = format!("k={}\n", "v".repeat(MAX_LINE - 3));
    assert_eq!(fits.len(), MAX_LINE);
    assert!(parse(fits.as_bytes()).is_ok());
    let over = format!("k={}\n", "v".repeat(MAX_LINE - 2));
    let err = parse(over.as_bytes()).unwrap_err();
    assert!(matches!(err, ProtocolError::LineTooLong { line: 1 }));
    let over_no_lf = format!("k={}", "v".repeat(MAX_LINE - 2));
    assert!(parse(over_no_lf.as_bytes()).is_err());
}

#[test]
fn nul_is_refused() {
    let input = format!("protocol=https\npassword={SENTINEL}\0x\n");
    let err = parse(input.as_bytes()).unwrap_err();
    assert!(matches!(err, ProtocolError::Nul));
    assert_no_sentinel(&err);
}

#[test]
fn non_utf8_is_refused() {
    let mut input = format!("protocol=https\npassword={SENTINEL}").into_bytes();
    input.extend_from_slice(b"\xff\xfe\n");
    let err = parse(&input).unwrap_err();
    assert!(matches!(err, ProtocolError::NotUtf8 { line: 2 }), "{err:?}");
    assert_no_sentinel(&err);
}

#[test]
fn missing_equals_is_refused() {
    let input = format!("protocol=https\nhost=example.com\n{SENTINEL}\n");
    let err = parse(input.as_bytes()).unwrap_err();
    assert!(matches!(err, ProtocolError::MissingEquals { line: 3 }));
    assert_no_sentinel(&err);
    assert_eq!(
        err.to_string(),
        "git credential input line 3 has no '=' (expected key=value)"
    );
}

#[test]
fn empty_key_is_refused() {
    let input = format!("={SENTINEL}\n");
    let err = parse(input.as_bytes()).unwrap_err();
    assert!(matches!(err, ProtocolError::EmptyKey { line: 1 }));
    assert_no_sentinel(&err);
}

#[test]
fn cr_in_a_value_is_refused() {
    let input = format!("protocol=https\r\npassword={SENTINEL}\r\n");
    let err = parse(input.as_bytes()).unwrap_err();
    assert!(matches!(&err, ProtocolError::BadValue { key } if key == "protocol"));
    let input = format!("protocol=https\npassword={SENTINEL}\r\n");
    let err = parse(input.as_bytes()).unwrap_err();
    assert!(matches!(&err, ProtocolError::BadValue { key } if key == "password"));
    assert_no_sentinel(&err);
    assert!(err.to_string().contains("\"password\""));
}

#[test]
fn bad_value_message_escapes_the_key() {
    let err = ProtocolError::BadValue {
        key: "a\u{1b}[31m".into(),
    };
    assert!(!err.to_string().contains('\u{1b}'));
    // Found by fuzzing: escaping must not blow a short key up into a long message.
    let err = ProtocolError::BadValue {
        key: "\u{c}".repeat(100),
    };
    assert!(err.to_string().len() < 200, "{err}");
}

#[test]
fn read_input_reads_to_eof_without_blank_line() {
    let mut src: &[u8] = b"protocol=https\nhost=example.com\n";
    assert_eq!(
        read_input(&mut src).unwrap(),
        b"protocol=https\nhost=example.com\n"
    );
    let full = vec![b'a'; MAX_INPUT];
    assert_eq!(read_input(&mut full.as_slice()).unwrap().len(), MAX_INPUT);
}

#[test]
fn read_input_refuses_more_than_max_and_stops_reading() {
    // An endless source: this only terminates because reading is capped.
    let err = read_input(&mut std::io::repeat(b'x')).unwrap_err();
    assert!(matches!(err, ProtocolError::TooLarge));
    let mut counted = Counting {
        inner: std::io::repeat(b'x'),
        total: 0,
    };
    let _ = read_input(&mut counted);
    assert!(counted.total <= MAX_INPUT + 1);
}

struct Counting<R> {
    inner: R,
    total: usize,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.total += n;
        Ok(n)
    }
}

#[test]
fn read_input_reports_io_errors() {
    struct Broken;
    impl Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("pipe gone"))
        }
    }
    let err = read_input(&mut Broken).unwrap_err();
    assert!(matches!(err, ProtocolError::Io(_)));
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn debug_never_shows_secrets() {
    let input = format!(
        "protocol=https\nhost=h\npassword={SENTINEL}\noauth_refresh_token={SENTINEL}\n\
         credential={SENTINEL}\n"
    );
    let req = parse(input.as_bytes()).unwrap();
    assert_eq!(req.password.as_ref().map(Secret::expose), Some(SENTINEL));
    let shown = format!("{req:?}");
    assert!(!shown.contains(SENTINEL), "{shown}");
    assert!(shown.contains("redacted"));
    let resp = Response {
        password: Some(Secret::new(SENTINEL)),
        credential: Some(Secret::new(SENTINEL)),
        ..Response::default()
    };
    assert!(!format!("{resp:?}").contains(SENTINEL));
}

#[test]
fn writes_username_and_password() {
    let resp = Response {
        username: Some("bob".into()),
        password: Some(Secret::new("s3cr3t")),
        ..Response::default()
    };
    let offered = parse(b"protocol=https\nhost=example.com\n").unwrap();
    assert_eq!(
        response_bytes(&resp, &offered),
        b"username=bob\npassword=s3cr3t\n"
    );
}

fn bearer() -> Response {
    Response {
        authtype: Some("Bearer".into()),
        credential: Some(Secret::new("tok-good")),
        ..Response::default()
    }
}

#[test]
fn writes_authtype_when_offered() {
    let offered = parse(&http_transcript_input()).unwrap();
    assert_eq!(
        response_bytes(&bearer(), &offered),
        b"capability[]=authtype\nauthtype=Bearer\ncredential=tok-good\n"
    );
}

#[test]
fn drops_authtype_when_not_offered() {
    let offered = parse(b"protocol=http\nhost=127.0.0.1:18765\n").unwrap();
    assert_eq!(response_bytes(&bearer(), &offered), b"");
    let resp = Response {
        username: Some("bob".into()),
        password: Some(Secret::new("good")),
        ephemeral: true,
        ..bearer()
    };
    assert_eq!(response_bytes(&resp, &offered), b"username=bob\npassword=good\n");
}

#[test]
fn authtype_needs_credential_too() {
    let offered = parse(&http_transcript_input()).unwrap();
    let resp = Response {
        credential: None,
        ..bearer()
    };
    assert_eq!(response_bytes(&resp, &offered), b"");
}

#[test]
fn writes_every_field_in_gits_order() {
    let offered = parse(&http_transcript_input()).unwrap();
    let resp = Response {
        username: Some("bob".into()),
        password: Some(Secret::new("pw")),
        oauth_refresh_token: Some(Secret::new("rt")),
        password_expiry_utc: Some(1_700_000_000),
        ephemeral: true,
        quit: true,
        ..bearer()
    };
    assert_eq!(
        response_bytes(&resp, &offered),
        b"capability[]=authtype\nauthtype=Bearer\ncredential=tok-good\nephemeral=1\n\
          username=bob\npassword=pw\noauth_refresh_token=rt\npassword_expiry_utc=1700000000\n\
          quit=1\n"
    );
}

#[test]
fn empty_response_writes_nothing() {
    let offered = parse(&http_transcript_input()).unwrap();
    assert_eq!(response_bytes(&Response::default(), &offered), b"");
    let quit = Response {
        quit: true,
        ..Response::default()
    };
    assert_eq!(response_bytes(&quit, &offered), b"quit=1\n");
}

#[test]
fn bad_output_value_writes_nothing() {
    let offered = parse(&http_transcript_input()).unwrap();
    for (bad, key) in [
        (format!("{SENTINEL}\nusername=evil"), "password"),
        (format!("{SENTINEL}\r"), "password"),
        (format!("{SENTINEL}\0"), "password"),
    ] {
        let resp = Response {
            username: Some("bob".into()),
            password: Some(Secret::new(bad)),
            ..bearer()
        };
        let mut out = Vec::new();
        let err = write_response(&resp, &offered, &mut out).unwrap_err();
        assert!(matches!(&err, ProtocolError::BadValue { key: k } if k == key));
        assert!(out.is_empty(), "nothing may be written");
        assert_no_sentinel(&err);
    }
    let resp = Response {
        username: Some(format!("{SENTINEL}\n")),
        ..Response::default()
    };
    let mut out = Vec::new();
    let err = write_response(&resp, &offered, &mut out).unwrap_err();
    assert!(matches!(&err, ProtocolError::BadValue { key } if key == "username"));
    assert!(out.is_empty());
}

#[test]
fn write_failure_is_an_io_error() {
    struct Full;
    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let err = write_response(&bearer(), &Request::default(), &mut Full);
    assert!(err.is_ok(), "nothing to write, so the writer is never touched");
    let resp = Response {
        password: Some(Secret::new(SENTINEL)),
        ..Response::default()
    };
    let err = write_response(&resp, &Request::default(), &mut Full).unwrap_err();
    assert!(matches!(err, ProtocolError::Io(_)));
    assert_no_sentinel(&err);
}

#[test]
fn parses_the_store_and_erase_transcripts() {
    // protocols.md, "Real HTTP transcript": what `store` got after a good Basic login,
    // what `erase` got after a bad one (the same plus both wwwauth[] lines), and what
    // `store` got after a Bearer reply.
    let store = b"protocol=http\nhost=127.0.0.1:18765\nusername=bob\npassword=good\n";
    let req = parse(store).unwrap();
    assert_eq!(
        req,
        Request {
            protocol: Some("http".into()),
            host: Some("127.0.0.1:18765".into()),
            username: Some("bob".into()),
            password: Some(Secret::new("good")),
            ..Request::default()
        }
    );
    let mut erase = store.to_vec();
    erase.extend_from_slice(
        b"wwwauth[]=Basic realm=\"test\"\nwwwauth[]=Bearer realm=\"test\", scope=\"repo\"\n",
    );
    let req = parse(&erase).unwrap();
    assert_eq!(req.password, Some(Secret::new("good")));
    assert_eq!(req.wwwauth.len(), 2);
    let bearer_store =
        b"capability[]=authtype\nauthtype=Bearer\ncredential=tok-good\nprotocol=http\nhost=127.0.0.1:18765\n";
    let req = parse(bearer_store).unwrap();
    assert!(req.has_capability("authtype"));
    assert_eq!(req.authtype.as_deref(), Some("Bearer"));
    assert_eq!(req.credential, Some(Secret::new("tok-good")));
    assert_eq!((req.username, req.password), (None, None));
}

#[test]
fn refresh_token_with_a_line_break_writes_nothing() {
    let resp = Response {
        username: Some("bob".into()),
        password: Some(Secret::new("pw")),
        oauth_refresh_token: Some(Secret::new(format!("{SENTINEL}\nquit=1"))),
        ..Response::default()
    };
    let mut out = Vec::new();
    let err = write_response(&resp, &Request::default(), &mut out).unwrap_err();
    assert!(matches!(&err, ProtocolError::BadValue { key } if key == "oauth_refresh_token"));
    assert!(out.is_empty());
    assert_no_sentinel(&err);
}
