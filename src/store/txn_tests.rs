//! Write ordering under faults: every backend call of every kind of write is made to fail,
//! to answer too late, or to be the point where the process dies, and after each the
//! committed value must still be readable where the index says, and the next write must
//! leave no stray entry behind.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::store::index::{ProfileMeta, SecretMeta};
use crate::store::memory::Crash;
use crate::store::{BackendChoice, BackendId, CredKey, Fault, MemoryBackend, Store};
use crate::{App, Result, Secret};

/// A home on disk, with both backends in memory (so a crash stops the file backend too).
struct World {
    dir: tempfile::TempDir,
    keyring: MemoryBackend,
    file: MemoryBackend,
    app: App,
}

impl World {
    fn new(keyring_limit: Option<usize>) -> World {
        let mut keyring = MemoryBackend::new(BackendId::KEYRING);
        if let Some(l) = keyring_limit {
            keyring = keyring.with_limit(l);
        }
        World {
            dir: tempfile::tempdir().unwrap(),
            keyring,
            file: MemoryBackend::new(BackendId::FILE),
            app: App::keyward(),
        }
    }

    /// The store a new process would open, its backends sharing `crash`.
    fn store(&self, choice: BackendChoice, crash: &Crash) -> Store {
        let mut s = Store::new(
            &self.app,
            self.dir.path().to_path_buf(),
            choice,
            Duration::from_secs(1),
        )
        .with_backend(self.keyring.clone().with_crash(crash.clone()))
        .with_backend(self.file.clone().with_crash(crash.clone()));
        s.set_notice(|_| {});
        s
    }

    fn calm(&self, choice: BackendChoice) -> Store {
        self.keyring.clear_faults();
        self.file.clear_faults();
        self.store(choice, &Crash::default())
    }

    /// Every entry held, in both backends.
    fn entries(&self) -> BTreeSet<(BackendId, String, String)> {
        let k = self
            .keyring
            .entries()
            .into_iter()
            .map(|(s, a)| (BackendId::KEYRING, s, a));
        let f = self
            .file
            .entries()
            .into_iter()
            .map(|(s, a)| (BackendId::FILE, s, a));
        k.chain(f).collect()
    }

    /// The entries the index points at (heads of split values count as one; their parts
    /// are checked by reading).
    fn expected_entries(&self, store: &Store) -> BTreeSet<(BackendId, String, String)> {
        let index = store.load_index().unwrap();
        let mut out = BTreeSet::new();
        for (svc, e) in &index.services {
            for (p, m) in &e.profiles {
                if let Some(b) = m.backend {
                    let k = CredKey::token(&self.app, svc, p);
                    out.insert((b, k.service, k.account));
                }
            }
            for (n, m) in &e.secrets {
                let k = CredKey::secret(&self.app, svc, n);
                out.insert((m.backend, k.service, k.account));
            }
        }
        for (key, m) in &index.git {
            let k = CredKey::git(&self.app, key);
            out.insert((m.backend, k.service, k.account));
            if m.has_refresh_token {
                let k = CredKey::git_refresh_token(&self.app, key);
                out.insert((m.backend, k.service, k.account));
            }
        }
        for (client, entries) in &index.hosts {
            for (key, m) in entries {
                let k = CredKey::helper(&self.app, client, key);
                out.insert((m.backend, k.service, k.account));
            }
        }
        out
    }

    /// After a clean write, nothing but what the index points at (and the live parts of
    /// split values) is stored, and no journal is left.
    fn assert_clean(&self) {
        let store = self.calm(BackendChoice::Auto);
        store.update(|_| Ok(())).unwrap();
        let want = self.expected_entries(&store);
        let have: BTreeSet<_> = self
            .entries()
            .into_iter()
            .filter(|(_, _, a)| !a.contains("\u{1f}part:"))
            .collect();
        assert_eq!(have, want, "stray or missing entries");
        let parts = self.entries().len() - have.len();
        let want_parts: usize = want
            .iter()
            .map(|(b, s, a)| {
                let k = CredKey {
                    service: s.clone(),
                    account: a.clone(),
                    label: String::new(),
                };
                let raw = store.backend(*b).unwrap().get(&k).unwrap().unwrap();
                crate::store::chunk::Parts::from_head(&raw).map_or(0, |p| p.count)
            })
            .sum();
        assert_eq!(parts, want_parts, "stray parts");
        assert!(!self.dir.path().join("pending.json").exists(), "journal left");
    }
}

fn login(store: &Store, profile: &str, value: &str) -> Result<()> {
    let key = CredKey::token(store.app(), &"svc".into(), &profile.into());
    let v = Secret::new(value);
    store.update(|txn| {
        let pinned = txn
            .index
            .service("svc")
            .and_then(|s| s.profiles.get(profile))
            .and_then(|m| m.backend);
        let backend = txn.put(&key, &v, pinned)?;
        txn.index.service_mut(&"svc".into()).profiles.insert(
            profile.into(),
            ProfileMeta {
                backend: Some(backend),
                hint: Some(v.masked()),
                ..Default::default()
            },
        );
        Ok(())
    })
}

fn set_secret(store: &Store, name: &str, value: &str) -> Result<()> {
    let key = CredKey::secret(store.app(), &"svc".into(), &name.into());
    let v = Secret::new(value);
    store.update(|txn| {
        let pinned = txn
            .index
            .service("svc")
            .and_then(|s| s.secrets.get(name))
            .map(|m| m.backend);
        let backend = txn.put(&key, &v, pinned)?;
        txn.index.service_mut(&"svc".into()).secrets.insert(
            name.into(),
            SecretMeta {
                backend,
                hint: v.masked(),
                created_at: None,
                updated_at: None,
            },
        );
        Ok(())
    })
}

/// The value the index points at for a profile, read as `token` would.
fn token(store: &Store, profile: &str) -> Option<String> {
    let index = store.load_index().unwrap();
    let b = index.service("svc")?.profiles.get(profile)?.backend?;
    let v = store
        .read(b, &CredKey::token(store.app(), &"svc".into(), &profile.into()))
        .unwrap()
        .unwrap_or_else(|| panic!("the index says {profile} is in the {b}, but it is not there"));
    Some(v.expose().to_string())
}

fn secret(store: &Store, name: &str) -> Option<String> {
    let index = store.load_index().unwrap();
    let b = index.service("svc")?.secrets.get(name)?.backend;
    let v = store
        .read(b, &CredKey::secret(store.app(), &"svc".into(), &name.into()))
        .unwrap()
        .unwrap_or_else(|| panic!("the index says secret {name} is in the {b}, but it is not there"));
    Some(v.expose().to_string())
}

/// Runs `op` once per backend call it makes, with `fault` at that call (on the keyring,
/// then on the file backend), and hands each outcome to `check`, then checks that the next
/// write leaves nothing stray. Returns how many fault points were tried.
fn every_fault_point(
    fault: Fault,
    prepare: &dyn Fn() -> World,
    op: &dyn Fn(&World, &Crash) -> Result<()>,
    check: &dyn Fn(&Store, bool),
) -> usize {
    let mut tried = 0;
    for n in 1.. {
        let mut reached_any = false;
        for on_keyring in [true, false] {
            let w = prepare();
            w.keyring.clear_faults();
            w.file.clear_faults();
            let target = if on_keyring { &w.keyring } else { &w.file };
            target.inject(n, fault);
            let crash = Crash::default();
            let ok = op(&w, &crash).is_ok();
            if target.calls() < n {
                continue;
            }
            reached_any = true;
            tried += 1;
            check(&w.calm(BackendChoice::Auto), ok);
            w.assert_clean();
        }
        if !reached_any {
            eprintln!("fault points: {tried} ({fault:?})");
            return tried;
        }
    }
    unreachable!()
}

const FAULTS: [Fault; 3] = [Fault::Fail, Fault::TimeoutAfterEffect, Fault::Crash];

fn old_or_new(got: Option<String>, ok: bool, old: &str, new: &str, what: &str) {
    let got = got.unwrap_or_else(|| panic!("{what}: the value is gone"));
    if ok {
        assert_eq!(got, new, "{what}: the write succeeded");
    } else {
        assert!(got == old || got == new, "{what}: neither old nor new: {got}");
    }
}

#[test]
fn a_backend_switch_never_loses_the_committed_value() {
    const OLD: &str = "sk_old_0123456789abcdef";
    const NEW: &str = "sk_new_0123456789abcdef";
    for (from, to) in [
        (BackendChoice::Keyring, BackendChoice::File),
        (BackendChoice::File, BackendChoice::Keyring),
    ] {
        let prepare = || {
            let w = World::new(None);
            login(&w.calm(from), "p", OLD).unwrap();
            w
        };
        for fault in FAULTS {
            let points = every_fault_point(
                fault,
                &prepare,
                &|w, crash| login(&w.store(to, crash), "p", NEW),
                &|s, ok| {
                    old_or_new(
                        token(s, "p"),
                        ok,
                        OLD,
                        NEW,
                        &format!("{from:?}->{to:?} {fault:?}"),
                    )
                },
            );
            assert!(points >= 4, "{fault:?}: only {points} fault points");
        }
    }
}

#[test]
fn a_new_value_is_either_stored_or_absent() {
    for fault in FAULTS {
        every_fault_point(
            fault,
            &|| World::new(None),
            &|w, crash| {
                set_secret(
                    &w.store(BackendChoice::Auto, crash),
                    "gh",
                    "gh_test_new_0123456789abcdef",
                )
            },
            &|s, ok| match secret(s, "gh") {
                Some(v) => assert_eq!(v, "gh_test_new_0123456789abcdef"),
                None => assert!(!ok, "{fault:?}: reported stored but absent"),
            },
        );
    }
}

#[test]
fn an_update_in_place_keeps_old_or_new() {
    const OLD: &str = "sk_old_0123456789abcdef";
    const NEW: &str = "sk_new_0123456789abcdef";
    let prepare = || {
        let w = World::new(None);
        login(&w.calm(BackendChoice::Keyring), "p", OLD).unwrap();
        w
    };
    for fault in FAULTS {
        every_fault_point(
            fault,
            &prepare,
            &|w, crash| login(&w.store(BackendChoice::Keyring, crash), "p", NEW),
            &|s, ok| old_or_new(token(s, "p"), ok, OLD, NEW, &format!("{fault:?}")),
        );
    }
}

fn migrate_to(w: &World, crash: &Crash, to: BackendId) -> Result<()> {
    let store = w.store(BackendChoice::Auto, crash);
    let report = crate::ops::migrate::migrate(&store, &"svc".into(), to, &mut |_| {})?;
    match report.failed {
        Some((_, e)) => Err(e),
        None => Ok(()),
    }
}

#[test]
fn migrate_both_ways_loses_nothing_and_finishes_when_run_again() {
    for (from, to) in [
        (BackendChoice::Keyring, BackendId::FILE),
        (BackendChoice::File, BackendId::KEYRING),
    ] {
        let prepare = || {
            let w = World::new(None);
            let s = w.calm(from);
            login(&s, "a", "sk_a_0123456789abcdef").unwrap();
            login(&s, "b", "sk_b_0123456789abcdef").unwrap();
            set_secret(&s, "gh", "gh_test_0123456789abcdefgh").unwrap();
            w
        };
        for fault in FAULTS {
            let points = every_fault_point(fault, &prepare, &|w, crash| migrate_to(w, crash, to), &|s, _| {
                assert_eq!(token(s, "a").as_deref(), Some("sk_a_0123456789abcdef"));
                assert_eq!(token(s, "b").as_deref(), Some("sk_b_0123456789abcdef"));
                assert_eq!(secret(s, "gh").as_deref(), Some("gh_test_0123456789abcdefgh"));
            });
            assert!(points >= 9, "{fault:?}: only {points} fault points");
        }
        // And a run after an interrupted one finishes the job.
        let w = prepare();
        w.keyring.inject(5, Fault::Crash);
        let _ = migrate_to(&w, &Crash::default(), to);
        migrate_to(&w, &Crash::default(), to).unwrap();
        let s = w.calm(BackendChoice::Auto);
        let index = s.load_index().unwrap();
        let svc = index.service("svc").unwrap();
        assert!(svc.profiles.values().all(|m| m.backend == Some(to)));
        assert!(svc.secrets.values().all(|m| m.backend == to));
        w.assert_clean();
    }
}

#[test]
fn rename_keeps_the_token_under_one_name_or_the_other() {
    let prepare = || {
        let w = World::new(None);
        login(&w.calm(BackendChoice::Keyring), "old", "sk_r_0123456789abcdef").unwrap();
        w
    };
    for fault in FAULTS {
        every_fault_point(
            fault,
            &prepare,
            &|w, crash| {
                crate::ops::profiles::rename(
                    &w.store(BackendChoice::Auto, crash),
                    &"svc".into(),
                    &"old".into(),
                    &"new".into(),
                )
                .map(|_| ())
            },
            &|s, ok| {
                let old = token(s, "old");
                let new = token(s, "new");
                assert!(old.is_some() != new.is_some(), "{fault:?}: exactly one name");
                assert_eq!(old.or(new).as_deref(), Some("sk_r_0123456789abcdef"));
                if ok {
                    assert!(token(s, "old").is_none());
                }
            },
        );
    }
}

#[test]
fn logout_and_unset_remove_after_the_index_or_not_at_all() {
    let prepare = || {
        let w = World::new(None);
        let s = w.calm(BackendChoice::Keyring);
        login(&s, "p", "sk_l_0123456789abcdef").unwrap();
        set_secret(&s, "gh", "gh_test_0123456789abcdefgh").unwrap();
        w
    };
    for fault in FAULTS {
        every_fault_point(
            fault,
            &prepare,
            &|w, crash| {
                let s = w.store(BackendChoice::Auto, crash);
                crate::ops::profiles::remove(&s, &"svc".into(), &"p".into())?;
                crate::ops::secrets::unset(&s, &"svc".into(), &"gh".into())
            },
            &|s, ok| {
                // Either still there and readable, or gone from the index.
                let t = token(s, "p");
                let g = secret(s, "gh");
                if ok {
                    assert!(t.is_none() && g.is_none());
                }
                if let Some(t) = t {
                    assert_eq!(t, "sk_l_0123456789abcdef");
                }
                if let Some(g) = g {
                    assert_eq!(g, "gh_test_0123456789abcdefgh");
                }
            },
        );
    }
}

/// Windows Credential Manager holds 2,560 bytes of UTF-16: 1,280 characters.
const WINDOWS_LIMIT: usize = 1280;

#[test]
fn values_over_the_limit_are_split_and_joined() {
    let w = World::new(Some(WINDOWS_LIMIT));
    let s = w.calm(BackendChoice::Keyring);
    let big = "eyJ".to_string() + &"a€b".repeat(1500);
    login(&s, "p", &big).unwrap();
    assert_eq!(token(&s, "p").as_deref(), Some(big.as_str()));
    assert!(
        w.keyring.entries().len() >= 4,
        "split into parts: {:?}",
        w.keyring.entries().len()
    );
    w.assert_clean();
    // Smaller but still split, then small: the old parts go, none is ever read again.
    let mid = "m".repeat(3000);
    login(&s, "p", &mid).unwrap();
    assert_eq!(token(&s, "p").as_deref(), Some(mid.as_str()));
    w.assert_clean();
    login(&s, "p", "sk_small_0123456789").unwrap();
    assert_eq!(token(&s, "p").as_deref(), Some("sk_small_0123456789"));
    assert_eq!(w.keyring.entries().len(), 1);
    w.assert_clean();
    // A value that looks like a head is stored split, so it reads back as itself.
    let tricky = "\u{1f}keyward-parts:v1:abc:2";
    login(&s, "p", tricky).unwrap();
    assert_eq!(token(&s, "p").as_deref(), Some(tricky));
    w.assert_clean();
}

#[test]
fn a_split_write_interrupted_anywhere_reads_old_or_new_never_a_mix() {
    let old = "o".repeat(3000);
    let new = "n".repeat(4000);
    let prepare = || {
        let w = World::new(Some(WINDOWS_LIMIT));
        login(&w.calm(BackendChoice::Keyring), "p", &"o".repeat(3000)).unwrap();
        w
    };
    for fault in FAULTS {
        let points = every_fault_point(
            fault,
            &prepare,
            &|w, crash| login(&w.store(BackendChoice::Keyring, crash), "p", &"n".repeat(4000)),
            &|s, ok| old_or_new(token(s, "p"), ok, &old, &new, &format!("{fault:?}")),
        );
        assert!(points >= 6, "{fault:?}: only {points}");
    }
}

#[test]
fn a_failed_read_back_is_an_error_and_changes_nothing() {
    let w = World::new(None);
    let s = w.calm(BackendChoice::Keyring);
    login(&s, "p", "sk_old_0123456789abcdef").unwrap();
    // Calls of a login over an existing value: get (previous), set, get (read back).
    w.keyring.inject(3, Fault::Fail);
    assert!(login(&s, "p", "sk_new_0123456789abcdef").is_err());
    assert_eq!(
        token(&w.calm(BackendChoice::Auto), "p").as_deref(),
        Some("sk_old_0123456789abcdef")
    );
    w.assert_clean();
}

fn git_request(text: &str) -> crate::helpers::git::wire::Request {
    crate::helpers::git::wire::parse(text.as_bytes()).unwrap()
}

/// The password git stored for h.example, read as `get` would.
fn git_password(store: &Store) -> Option<String> {
    let index = store.load_index().unwrap();
    let (key, meta) = index.git.iter().next()?;
    let v = store
        .read(meta.backend, &CredKey::git(store.app(), key))
        .unwrap()
        .unwrap_or_else(|| {
            panic!(
                "the index says git's password is in the {}, but it is not there",
                meta.backend
            )
        });
    Some(v.expose().to_string())
}

#[test]
fn git_store_switching_backend_and_erase_keep_old_new_or_nothing() {
    const OLD: &str = "pw_old_0123456789abcdef";
    const NEW: &str = "pw_new_0123456789abcdef";
    let store_req = |pw: &str| {
        git_request(&format!(
            "protocol=https\nhost=h.example\nusername=u\npassword={pw}\noauth_refresh_token=rt_{pw}\n"
        ))
    };
    let env = crate::Env::from_pairs(std::iter::empty::<(&str, &str)>());
    let prepare = || {
        let w = World::new(None);
        crate::helpers::git::save::store_credential(&w.calm(BackendChoice::Keyring), &env, &store_req(OLD))
            .unwrap();
        w
    };
    for fault in FAULTS {
        let points = every_fault_point(
            fault,
            &prepare,
            &|w, crash| {
                crate::helpers::git::save::store_credential(
                    &w.store(BackendChoice::File, crash),
                    &env,
                    &store_req(NEW),
                )
                .map(|_| ())
            },
            &|s, ok| old_or_new(git_password(s), ok, OLD, NEW, &format!("git store {fault:?}")),
        );
        assert!(points >= 6, "{fault:?}: only {points}");
        every_fault_point(
            fault,
            &prepare,
            &|w, crash| {
                let req = git_request(&format!(
                    "protocol=https\nhost=h.example\nusername=u\npassword={OLD}\n"
                ));
                crate::helpers::git::save::erase_credential(&w.store(BackendChoice::Auto, crash), &req)
                    .map(|_| ())
            },
            &|s, ok| match git_password(s) {
                None => {}
                Some(v) => {
                    assert!(
                        !ok,
                        "{fault:?}: erase reported done but the password is still recorded"
                    );
                    assert_eq!(v, OLD);
                }
            },
        );
    }
}

#[test]
fn secrets_clear_removes_after_the_index_or_not_at_all() {
    let prepare = || {
        let w = World::new(None);
        let s = w.calm(BackendChoice::Keyring);
        for n in ["a", "b", "c"] {
            set_secret(&s, n, &format!("gh_test_{n}_0123456789abcdef")).unwrap();
        }
        w
    };
    for fault in FAULTS {
        every_fault_point(
            fault,
            &prepare,
            &|w, crash| {
                crate::ops::secrets::clear(&w.store(BackendChoice::Auto, crash), &"svc".into()).map(|_| ())
            },
            &|s, ok| {
                for n in ["a", "b", "c"] {
                    match secret(s, n) {
                        None => {}
                        Some(v) => {
                            assert!(!ok, "{fault:?}: clear reported done but {n} is still recorded");
                            assert_eq!(v, format!("gh_test_{n}_0123456789abcdef"));
                        }
                    }
                }
            },
        );
    }
}

/// An entry as versions before usernames were keys wrote it: under `protocol://host`, with
/// a refresh token, and no store sequence.
fn legacy_git_entry(store: &Store, key: &str, user: &str, pw: &str) -> Result<()> {
    let app = store.app().clone();
    store.update(|txn| {
        let backend = txn.put(&CredKey::git(&app, key), &Secret::new(pw), None)?;
        txn.copy_to(
            backend,
            &CredKey::git_refresh_token(&app, key),
            &Secret::new(format!("rt_{pw}")),
        )?;
        txn.index.git.insert(
            key.into(),
            crate::store::index::GitMeta {
                backend,
                username: Some(user.into()),
                hint: String::new(),
                password_expiry_utc: None,
                has_refresh_token: true,
                updated_at: None,
                stored_seq: None,
            },
        );
        Ok(())
    })
}

/// What `get` answers for this user of h.example: (password, refresh token).
fn git_answer(store: &Store, user: &str) -> Option<(String, Option<String>)> {
    let env = crate::Env::from_pairs(std::iter::empty::<(&str, &str)>());
    let req = git_request(&format!("protocol=https\nhost=h.example\nusername={user}\n"));
    let index = store.load_index().unwrap();
    let a = crate::helpers::git::lookup::lookup(store, &env, &index, &req).unwrap()?;
    let pw = a.response.password?.expose().to_string();
    Some((pw, a.response.oauth_refresh_token.map(|t| t.expose().to_string())))
}

#[test]
fn a_legacy_git_entry_moves_to_its_user_key_or_stays_under_the_old_one() {
    const OLD: &str = "pw_legacy_0123456789abcdef";
    const NEW: &str = "pw_second_0123456789abcdef";
    let env = crate::Env::from_pairs(std::iter::empty::<(&str, &str)>());
    for from in [BackendChoice::Keyring, BackendChoice::File] {
        let prepare = || {
            let w = World::new(None);
            legacy_git_entry(&w.calm(from), "https://h.example", "u1", OLD).unwrap();
            w
        };
        // Readable before any write, as it always was.
        let w = prepare();
        let want_old = Some((OLD.to_string(), Some(format!("rt_{OLD}"))));
        assert_eq!(git_answer(&w.calm(from), "u1"), want_old);
        for fault in FAULTS {
            let points = every_fault_point(
                fault,
                &prepare,
                &|w, crash| {
                    let req = git_request(&format!(
                        "protocol=https\nhost=h.example\nusername=u2\npassword={NEW}\n"
                    ));
                    crate::helpers::git::save::store_credential(&w.store(from, crash), &env, &req).map(|_| ())
                },
                &|s, ok| {
                    assert_eq!(git_answer(s, "u1"), want_old, "{from:?} {fault:?}: u1 lost");
                    let index = s.load_index().unwrap();
                    if ok {
                        assert_eq!(git_answer(s, "u2"), Some((NEW.to_string(), None)));
                        let keys: Vec<&String> = index.git.keys().collect();
                        assert_eq!(keys, ["https://u1@h.example", "https://u2@h.example"]);
                        assert!(index.git.values().all(|m| m.stored_seq.is_some()));
                    } else {
                        assert!(
                            index.git.contains_key("https://h.example")
                                != index.git.contains_key("https://u1@h.example"),
                            "{fault:?}: u1 under exactly one key"
                        );
                    }
                },
            );
            assert!(points >= 6, "{fault:?}: only {points} fault points");
        }
    }
}

#[test]
fn a_legacy_docker_login_moves_to_its_user_key_or_stays_under_the_old_one() {
    const OLD: &str = "pw_docker_old_0123456789";
    const NEW: &str = "pw_docker_new_0123456789";
    let env = crate::Env::from_pairs(std::iter::empty::<(&str, &str)>());
    let secret_of = docker_secret;
    let prepare = || {
        let w = World::new(None);
        let s = w.calm(BackendChoice::Keyring);
        let app = s.app().clone();
        s.update(|txn| {
            let k = CredKey::helper(&app, "docker", "127.0.0.1:5000");
            let backend = txn.put(&k, &Secret::new(OLD), None)?;
            let meta = crate::store::index::HostMeta {
                backend,
                username: Some("bob".into()),
                hint: String::new(),
                expires_at: None,
                updated_at: None,
                stored_seq: None,
            };
            txn.index
                .hosts
                .entry("docker".into())
                .or_default()
                .insert("127.0.0.1:5000".into(), meta);
            Ok(())
        })
        .unwrap();
        w
    };
    for fault in FAULTS {
        let points = every_fault_point(
            fault,
            &prepare,
            &|w, crash| {
                let creds = crate::helpers::docker::wire::parse_store(
                    format!(r#"{{"ServerURL":"127.0.0.1:5000","Username":"alice","Secret":"{NEW}"}}"#)
                        .as_bytes(),
                )?;
                crate::helpers::docker::store_credentials(&w.store(BackendChoice::Auto, crash), &env, &creds)
                    .map(|_| ())
            },
            &|s, ok| {
                assert_eq!(secret_of(s, "bob").as_deref(), Some(OLD), "{fault:?}: bob lost");
                if ok {
                    assert_eq!(secret_of(s, "alice").as_deref(), Some(NEW));
                    let index = s.load_index().unwrap();
                    let keys: Vec<&String> = index.hosts["docker"].keys().collect();
                    assert_eq!(keys, ["alice@127.0.0.1:5000", "bob@127.0.0.1:5000"]);
                }
            },
        );
        assert!(points >= 4, "{fault:?}: only {points} fault points");
    }
}

/// The secret docker stored for `user`, read where the index says it is.
fn docker_secret(s: &Store, user: &str) -> Option<String> {
    let index = s.load_index().unwrap();
    let (key, m) = (index.hosts.get("docker")?.iter()).find(|(_, m)| m.username.as_deref() == Some(user))?;
    let v = s
        .read(m.backend, &CredKey::helper(s.app(), "docker", key))
        .unwrap();
    Some(
        v.unwrap_or_else(|| panic!("{user} listed but not stored"))
            .expose()
            .to_string(),
    )
}

#[test]
fn migrate_carries_what_git_and_docker_stored_both_ways() {
    const GIT: &str = "pw_git_0123456789abcdef";
    const DOCKER: &str = "pw_docker_0123456789abcdef";
    let env = crate::Env::from_pairs(std::iter::empty::<(&str, &str)>());
    for (from, to) in [
        (BackendChoice::Keyring, BackendId::FILE),
        (BackendChoice::File, BackendId::KEYRING),
    ] {
        let prepare = || {
            let w = World::new(None);
            let s = w.calm(from);
            login(&s, "a", "sk_a_0123456789abcdef").unwrap();
            let req = git_request(&format!(
                "protocol=https\nhost=h.example\nusername=u1\npassword={GIT}\noauth_refresh_token=rt_{GIT}\n"
            ));
            crate::helpers::git::save::store_credential(&s, &env, &req).unwrap();
            let creds = crate::helpers::docker::wire::parse_store(
                format!(r#"{{"ServerURL":"127.0.0.1:5000","Username":"alice","Secret":"{DOCKER}"}}"#)
                    .as_bytes(),
            )
            .unwrap();
            crate::helpers::docker::store_credentials(&s, &env, &creds).unwrap();
            w
        };
        let want_git = Some((GIT.to_string(), Some(format!("rt_{GIT}"))));
        for fault in FAULTS {
            let points = every_fault_point(fault, &prepare, &|w, crash| migrate_to(w, crash, to), &|s, _| {
                assert_eq!(git_answer(s, "u1"), want_git, "{fault:?}");
                assert_eq!(docker_secret(s, "alice").as_deref(), Some(DOCKER), "{fault:?}");
                assert_eq!(token(s, "a").as_deref(), Some("sk_a_0123456789abcdef"));
            });
            assert!(points >= 9, "{fault:?}: only {points} fault points");
        }
        let w = prepare();
        migrate_to(&w, &Crash::default(), to).unwrap();
        let s = w.calm(BackendChoice::Auto);
        let index = s.load_index().unwrap();
        assert!(index.git.values().all(|m| m.backend == to));
        assert!(index.hosts["docker"].values().all(|m| m.backend == to));
        assert_eq!(git_answer(&s, "u1"), want_git);
        w.assert_clean();
        let other = if to == BackendId::FILE {
            &w.keyring
        } else {
            &w.file
        };
        assert!(other.entries().is_empty(), "{:?} left behind", other.entries());
    }
}
