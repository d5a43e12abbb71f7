//! The reader against the full parse: valid, invalid and the fuzz corpus.

use super::*;
use crate::store::BackendId;
use std::path::Path;

fn meta(hint: &str, api_url: Option<&str>) -> ProfileMeta {
    ProfileMeta {
        backend: Some(BackendId::FILE),
        hint: Some(hint.into()),
        identity: Some("who@example.com".into()),
        api_url: api_url.map(str::to_string),
        ..Default::default()
    }
}

/// Two services, `a` (settings, active profile `m`, profiles `a0`…`a{n-1}` plus
/// `default`, `m` and a settings-only `bare`, a secret) and `z`; a git credential.
fn sample(n: usize) -> Index {
    let mut idx = Index::default();
    let a = idx.service_mut(&"a".into());
    a.config = Some(ServiceConfig {
        api_url: Some("https://api.a.example".into()),
        ..Default::default()
    });
    a.active_profile = Some("m".into());
    for i in 0..n {
        a.profiles.insert(
            format!("a{i}").as_str().into(),
            meta(&format!("sk_…{i:04}"), Some("https://x")),
        );
    }
    a.profiles.insert("default".into(), meta("sk_…dflt", None));
    a.profiles
        .insert("m".into(), meta("sk_…mmmm", Some("https://m.example")));
    a.profiles.insert("bare".into(), ProfileMeta::default());
    a.secrets.insert(
        "github-token".into(),
        SecretMeta {
            backend: BackendId::KEYRING,
            hint: "ghp_…abcd".into(),
            created_at: Some("2026-01-01T00:00:00Z".into()),
            updated_at: None,
        },
    );
    idx.service_mut(&"z".into())
        .profiles
        .insert("default".into(), meta("sk_…zzzz", None));
    idx.git.insert(
        "https://h.example".into(),
        GitMeta {
            backend: BackendId::FILE,
            username: Some("bob".into()),
            hint: "pw…".into(),
            password_expiry_utc: None,
            has_refresh_token: false,
            updated_at: None,
            stored_seq: None,
        },
    );
    idx.hosts.entry("docker".into()).or_default().insert(
        "127.0.0.1:5000".into(),
        crate::store::index::HostMeta {
            backend: BackendId::FILE,
            username: Some("<token>".into()),
            hint: "id…".into(),
            expires_at: Some(4_102_444_800),
            updated_at: None,
            stored_seq: None,
        },
    );
    idx
}

const GIT: IndexQuery<'static> = IndexQuery::Git {
    protocol: "https",
    host: "m.example",
};

fn queries() -> Vec<IndexQuery<'static>> {
    let mut v = vec![
        GIT,
        IndexQuery::Git {
            protocol: "https",
            host: "x",
        },
    ];
    for service in ["a", "z", "missing"] {
        for profile in [
            None,
            Some("default"),
            Some("a0"),
            Some("m"),
            Some("bare"),
            Some("nope"),
        ] {
            for secrets in [false, true] {
                v.push(IndexQuery::Profile {
                    service,
                    profile,
                    secrets,
                });
            }
        }
    }
    v
}

fn read_slice(bytes: &[u8], query: &IndexQuery<'_>) -> serde_json::Result<Index> {
    read(serde_json::Deserializer::from_slice(bytes), query)
}

/// The read, from a slice and from a reader: exactly the restricted full parse, or an
/// error exactly when the full parse errors.
#[track_caller]
fn agrees(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let full = Index::parse(bytes, Path::new("/h/index.json"));
    for query in queries() {
        let got = read_slice(bytes, &query);
        let via_reader = read(serde_json::Deserializer::from_reader(bytes), &query);
        match &full {
            Ok(full) => {
                let want = query.restrict(full);
                assert_eq!(got.as_ref().ok(), Some(&want), "{query:?} on {text}: {got:?}");
                assert_eq!(via_reader.ok(), Some(want), "{query:?} from a reader on {text}");
            }
            Err(e) => {
                assert!(
                    got.is_err(),
                    "{query:?} answered on {text}, the full parse says {e}"
                );
                assert!(via_reader.is_err(), "{query:?} from a reader on {text}");
            }
        }
    }
}

#[test]
fn agrees_with_the_full_parse_pretty_and_compact() {
    for idx in [sample(0), sample(12), Index::default()] {
        agrees(&idx.to_bytes());
        agrees(&serde_json::to_vec(&idx).unwrap());
    }
}

#[test]
fn keeps_only_what_the_query_asks_for() {
    let idx = sample(3);
    let bytes = idx.to_bytes();
    let token = read_slice(
        &bytes,
        &IndexQuery::Profile {
            service: "a",
            profile: None,
            secrets: false,
        },
    )
    .unwrap();
    assert_eq!(token.services.len(), 1);
    let a = token.service("a").unwrap();
    assert_eq!(a.profiles.keys().collect::<Vec<_>>(), ["m"], "the active profile");
    assert_eq!(a.profiles["m"], idx.services["a"].profiles["m"]);
    assert!(a.secrets.is_empty() && token.git.is_empty());
    assert_eq!(a.config, idx.services["a"].config);

    let exec = read_slice(
        &bytes,
        &IndexQuery::Profile {
            service: "a",
            profile: Some("a1"),
            secrets: true,
        },
    )
    .unwrap();
    let a = exec.service("a").unwrap();
    assert_eq!(a.profiles.keys().collect::<Vec<_>>(), ["a1"]);
    assert_eq!(a.secrets, idx.services["a"].secrets);

    let git = read_slice(&bytes, &GIT).unwrap();
    assert_eq!(git.git, idx.git);
    let a = git.service("a").unwrap();
    assert!(!a.profiles.contains_key("bare"), "no token, nothing to hand git");
    assert!(!a.profiles.contains_key("a0"), "an API URL on another host");
    assert!(
        a.profiles.contains_key("default"),
        "no API URL: the service's decides"
    );
    let m = &a.profiles["m"];
    assert_eq!(
        (m.backend, m.api_url.as_deref()),
        (Some(BackendId::FILE), Some("https://m.example"))
    );
    assert_eq!(
        (m.hint.as_ref(), m.identity.as_ref()),
        (None, None),
        "only what matching needs"
    );
    assert_eq!(a.secrets["github-token"].backend, BackendId::KEYRING);
    assert_eq!(a.secrets["github-token"].hint, "");
    assert_eq!(git.service("z").unwrap().profiles.len(), 1);
}

#[test]
fn agrees_on_hand_written_files() {
    let files: &[&str] = &[
        // Written by earlier builds: no null settings.
        r#"{"version": 1, "services": {"a": {"profiles": {"default": {"backend": "file"}}, "secrets": {}}}}"#,
        r#"{"version":1,"services":{"a":{"active_profile":"x","profiles":{"x":{"hint":"h"},"y":{}}}}}"#,
        // Unusual orders: the active profile after the profiles, secrets first, git first.
        r#"{"version": 1, "services": {"a": {"profiles": {"default": {"hint": "d"}, "m": {}}, "config": {"api_url": "u"}, "active_profile": "m"}}}"#,
        r#"{"version": 1, "services": {"a": {"secrets": {"s": {"backend": "file", "hint": "h"}}, "config": null, "active_profile": "default", "profiles": {"default": {}}}}}"#,
        r#"{"git": {}, "services": {"b": {"profiles": {"x": {}}}, "a": {"profiles": {"default": {"api_url": "u"}}}}, "version": 1}"#,
        // Unknown keys are skipped, as serde does; escapes in keys are keys.
        r#"{"version": 1, "extra": [1, {"a": "}"}], "services": {"\u0061": {"later": true, "profiles": {"def\u0061ult": {"hint": "\"}", "backend": "keyring"}}}}}"#,
        // A name given twice: the last one counts, as in the full parse.
        r#"{"version": 1, "services": {"a": {"profiles": {"default": {"hint": "1"}}}, "a": {"profiles": {"default": {"hint": "2", "backend": "file"}, "default": {}}}}}"#,
        // The sequence forms the derived impls accept.
        r#"[1]"#,
        r#"{"version": 1, "services": {"a": [null, "m", {"m": {"hint": "h"}}, {}]}, "git": {"k": ["file", "bob", "h"]}}"#,
        r#"{"version": 1, "services": {"a": [{"api_url": "u"}]}}"#,
        // No services at all; an empty service; whitespace everywhere.
        r#"{"version": 1}"#,
        r#"{"version": 1, "services": {"a": {}}}"#,
        " \n{ \"version\" : 1 ,\r\n\t\"services\" : { \"a\" : { \"config\" : null , \"profiles\" : { \"default\" : { } } } } } \n",
    ];
    for f in files {
        assert!(
            Index::parse(f.as_bytes(), Path::new("/h/index.json")).is_ok(),
            "{f}"
        );
        agrees(f.as_bytes());
    }
}

#[test]
fn refuses_whatever_the_full_parse_refuses() {
    let good = String::from_utf8(sample(2).to_bytes()).unwrap();
    let files = [
        // Truncated anywhere, and trailing garbage.
        good[..good.len() / 2].to_string(),
        good[..good.len() - 3].to_string(),
        format!("{good}x"),
        format!("{good}{{}}"),
        format!("{} {{\"version\": 1}}", good.trim_end()),
        // Wrong types deep where no query keeps anything.
        good.replace("\"sk_…0001\"", "5"),
        good.replace("\"backend\": \"keyring\"", "\"backend\": \"usb-stick\""),
        good.replace("\"identity\": \"who@example.com\"", "\"identity\": [\"who\"]"),
        good.replace("\"hint\": \"sk_…zzzz\"", "\"hint\": {}"),
        good.replace("\"username\": \"bob\"", "\"username\": 7"),
        good.replace("\"expires_at\": 4102444800", "\"expires_at\": -1"),
        r#"{"version": 1, "hosts": {"docker": {"h": {"hint": ""}}}}"#.into(),
        r#"{"version": 1, "hosts": {}, "hosts": {}}"#.into(),
        // Repeated fields of a struct (not of a map).
        good.replacen("\"config\": null", "\"config\": null, \"config\": null", 1),
        r#"{"version": 1, "version": 1}"#.into(),
        r#"{"version": 1, "services": {}, "services": {}}"#.into(),
        r#"{"version": 1, "services": {"z": {"profiles": {}, "profiles": {}}}}"#.into(),
        // Versions and shapes.
        r#"{"version": 2, "services": {"a": {}}}"#.into(),
        r#"{"services": {"a": {}}, "version": 2}"#.into(),
        r#"{"services": {}}"#.into(),
        r#"{"version": "1"}"#.into(),
        r#"{"version": 1.0}"#.into(),
        r#"{"version": 1, "services": []}"#.into(),
        r#"{"version": 1, "services": {"z": null}}"#.into(),
        r#"{"version": 1, "services": {"z": [null, null, {}, {}, 1]}}"#.into(),
        r#"[1, {}]"#.into(),
        r#"[]"#.into(),
        String::new(),
        "  \n".into(),
        "\u{feff}{\"version\": 1}".into(),
    ];
    for f in &files {
        assert!(
            Index::parse(f.as_bytes(), Path::new("/h/index.json")).is_err(),
            "{f}"
        );
        agrees(f.as_bytes());
    }
}

/// Every input the `index_parse` fuzz target kept: the read fails exactly where the
/// full parse does, and otherwise answers the same.
#[test]
fn agrees_on_the_fuzz_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/index_parse");
    let mut counts = (0, 0);
    for entry in std::fs::read_dir(&dir).expect("the corpus is in the repository") {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        agrees(&bytes);
        match Index::parse(&bytes, Path::new("/h/index.json")) {
            Ok(_) => counts.0 += 1,
            Err(_) => counts.1 += 1,
        }
    }
    assert!(
        counts.0 > 100 && counts.1 > 100,
        "valid and invalid inputs: {counts:?}"
    );
}
