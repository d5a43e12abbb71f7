//! git's own checks for credential helpers (`helper_test`, `helper_test_password_expiry_utc`
//! and `helper_test_oauth_refresh_token` in git's t/lib-credential.sh), case by case and in
//! git's order, each step in that file's layout: the `git credential` action, then stdin,
//! the expected stdout and the expected stderr (git's askpass prompts), separated by `--`.
//! Cases build on the ones before them, as in git's suite.

/// The 21 cases: (git's name for it, its steps).
pub fn cases() -> Vec<(&'static str, Vec<String>)> {
    vec![
        (
            "has no existing data",
            vec![
                r#"fill
protocol=https
host=example.com
--
protocol=https
host=example.com
username=askpass-username
password=askpass-password
--
askpass: Username for 'https://example.com':
askpass: Password for 'https://askpass-username@example.com':
"#
                .into(),
            ],
        ),
        (
            "stores password",
            vec![
                r#"approve
protocol=https
host=example.com
username=store-user
password=store-pass
"#
                .into(),
            ],
        ),
        (
            "can retrieve password",
            vec![
                r#"fill
protocol=https
host=example.com
--
protocol=https
host=example.com
username=store-user
password=store-pass
"#
                .into(),
            ],
        ),
        (
            "requires matching protocol",
            vec![
                r#"fill
protocol=http
host=example.com
--
protocol=http
host=example.com
username=askpass-username
password=askpass-password
--
askpass: Username for 'http://example.com':
askpass: Password for 'http://askpass-username@example.com':
"#
                .into(),
            ],
        ),
        (
            "requires matching host",
            vec![
                r#"fill
protocol=https
host=other.tld
--
protocol=https
host=other.tld
username=askpass-username
password=askpass-password
--
askpass: Username for 'https://other.tld':
askpass: Password for 'https://askpass-username@other.tld':
"#
                .into(),
            ],
        ),
        (
            "requires matching username",
            vec![
                r#"fill
protocol=https
host=example.com
username=other
--
protocol=https
host=example.com
username=other
password=askpass-password
--
askpass: Password for 'https://other@example.com':
"#
                .into(),
            ],
        ),
        (
            "requires matching path",
            vec![
                r#"approve usehttppath
protocol=http
host=path.tld
path=foo.git
username=user
password=pass
"#
                .into(),
                r#"fill usehttppath
protocol=http
host=path.tld
path=bar.git
--
protocol=http
host=path.tld
path=bar.git
username=askpass-username
password=askpass-password
--
askpass: Username for 'http://path.tld/bar.git':
askpass: Password for 'http://askpass-username@path.tld/bar.git':
"#
                .into(),
            ],
        ),
        (
            "overwrites on store",
            vec![
                r#"approve
protocol=https
host=example.com
username=user-overwrite
password=pass1
"#
                .into(),
                r#"approve
protocol=https
host=example.com
username=user-overwrite
password=pass2
"#
                .into(),
                r#"fill
protocol=https
host=example.com
username=user-overwrite
--
protocol=https
host=example.com
username=user-overwrite
password=pass2
"#
                .into(),
                r#"reject
protocol=https
host=example.com
username=user-overwrite
password=pass2
"#
                .into(),
                r#"fill
protocol=https
host=example.com
username=user-overwrite
--
protocol=https
host=example.com
username=user-overwrite
password=askpass-password
--
askpass: Password for 'https://user-overwrite@example.com':
"#
                .into(),
            ],
        ),
        (
            "can forget host",
            vec![
                r#"reject
protocol=https
host=example.com
"#
                .into(),
                r#"fill
protocol=https
host=example.com
--
protocol=https
host=example.com
username=askpass-username
password=askpass-password
--
askpass: Username for 'https://example.com':
askpass: Password for 'https://askpass-username@example.com':
"#
                .into(),
            ],
        ),
        (
            "can store multiple users",
            vec![
                r#"approve
protocol=https
host=example.com
username=user1
password=pass1
"#
                .into(),
                r#"approve
protocol=https
host=example.com
username=user2
password=pass2
"#
                .into(),
                r#"fill
protocol=https
host=example.com
username=user1
--
protocol=https
host=example.com
username=user1
password=pass1
"#
                .into(),
                r#"fill
protocol=https
host=example.com
username=user2
--
protocol=https
host=example.com
username=user2
password=pass2
"#
                .into(),
            ],
        ),
        (
            "does not erase a password distinct from input",
            vec![
                r#"approve
protocol=https
host=example.com
username=user-distinct-pass
password=pass1
"#
                .into(),
                r#"reject
protocol=https
host=example.com
username=user-distinct-pass
password=pass2
"#
                .into(),
                r#"fill
protocol=https
host=example.com
username=user-distinct-pass
--
protocol=https
host=example.com
username=user-distinct-pass
password=pass1
"#
                .into(),
            ],
        ),
        (
            "can forget user",
            vec![
                r#"reject
protocol=https
host=example.com
username=user1
"#
                .into(),
                r#"fill
protocol=https
host=example.com
username=user1
--
protocol=https
host=example.com
username=user1
password=askpass-password
--
askpass: Password for 'https://user1@example.com':
"#
                .into(),
            ],
        ),
        (
            "remembers other user",
            vec![
                r#"fill
protocol=https
host=example.com
username=user2
--
protocol=https
host=example.com
username=user2
password=pass2
"#
                .into(),
            ],
        ),
        (
            "can store empty username",
            vec![
                r#"approve
protocol=https
host=sso.tld
username=
password=
"#
                .into(),
                r#"fill
protocol=https
host=sso.tld
--
protocol=https
host=sso.tld
username=
password=
"#
                .into(),
            ],
        ),
        (
            "erases all matching credentials",
            vec![
                r#"approve
protocol=https
host=example.com
username=user-erase1
password=pass1
"#
                .into(),
                r#"approve
protocol=https
host=example.com
username=user-erase2
password=pass1
"#
                .into(),
                r#"reject
protocol=https
host=example.com
"#
                .into(),
                r#"fill
protocol=https
host=example.com
--
protocol=https
host=example.com
username=askpass-username
password=askpass-password
--
askpass: Username for 'https://example.com':
askpass: Password for 'https://askpass-username@example.com':
"#
                .into(),
            ],
        ),
        ("not confused by long header", long_header()),
        (
            "stores password_expiry_utc",
            vec![
                r#"approve
protocol=https
host=example.com
username=user-expiry
password=pass
password_expiry_utc=9999999999
"#
                .into(),
            ],
        ),
        (
            "gets password_expiry_utc",
            vec![
                r#"fill
protocol=https
host=example.com
username=user-expiry
--
protocol=https
host=example.com
username=user-expiry
password=pass
password_expiry_utc=9999999999
"#
                .into(),
            ],
        ),
        (
            "overwrites when password_expiry_utc changes",
            vec![
                r#"approve
protocol=https
host=example.com
username=user-expiry-overwrite
password=pass1
password_expiry_utc=9999999998
"#
                .into(),
                r#"approve
protocol=https
host=example.com
username=user-expiry-overwrite
password=pass2
password_expiry_utc=9999999999
"#
                .into(),
                r#"fill
protocol=https
host=example.com
username=user-expiry-overwrite
--
protocol=https
host=example.com
username=user-expiry-overwrite
password=pass2
password_expiry_utc=9999999999
"#
                .into(),
                r#"reject
protocol=https
host=example.com
username=user-expiry-overwrite
password=pass2
"#
                .into(),
                r#"fill
protocol=https
host=example.com
username=user-expiry-overwrite
--
protocol=https
host=example.com
username=user-expiry-overwrite
password=askpass-password
--
askpass: Password for 'https://user-expiry-overwrite@example.com':
"#
                .into(),
            ],
        ),
        (
            "stores oauth_refresh_token",
            vec![
                r#"approve
protocol=https
host=example.com
username=user4
password=pass
oauth_refresh_token=xyzzy
"#
                .into(),
            ],
        ),
        (
            "gets oauth_refresh_token",
            vec![
                r#"fill
protocol=https
host=example.com
username=user4
--
protocol=https
host=example.com
username=user4
password=pass
oauth_refresh_token=xyzzy
"#
                .into(),
            ],
        ),
    ]
}

/// A `wwwauth[]` line as long as git's 1024-byte test buffer that ends in
/// `host=victim.example.com`: a helper reading lines in fixed pieces would take the tail
/// for a host line and hand over the victim's password.
fn long_header() -> Vec<String> {
    let long = "a".repeat(1024 - 23);
    let www = format!("wwwauth[]=basic realm={long}host=victim.example.com\n");
    vec![
        "approve\nprotocol=https\nhost=victim.example.com\nusername=user\npassword=to-be-stolen\n".into(),
        format!(
            "fill\nprotocol=https\nhost=badguy.example.com\n{www}--\n\
             protocol=https\nhost=badguy.example.com\nusername=askpass-username\npassword=askpass-password\n{www}--\n\
             askpass: Username for 'https://badguy.example.com':\n\
             askpass: Password for 'https://askpass-username@badguy.example.com':\n"
        ),
    ]
}
