//! A real browser: headless Chromium (Debian's `chromium`, installed by scripts/test.sh) as
//! `$BROWSER` completes a `login --web` through the loopback redirect, and approves a device
//! login on the server's confirmation page.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::fixtures::script;
use crate::oauth_server::{AuthServer, grant, oauth_env, token};

/// A one-word `$BROWSER` running headless Chromium on the URL, writing the final page's DOM
/// to `<dir>/page-<pid>.html`.
fn chromium_browser(dir: &Path) -> String {
    let d = dir.display();
    script(
        dir,
        "chromium-browser.sh",
        &format!(
            "exec chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
             --no-first-run --disable-sync --disable-component-update --user-data-dir={d}/chromium-$$ \
             --virtual-time-budget=10000 --dump-dom \"$1\" > {d}/page-$$.html 2>/dev/null\n"
        ),
    )
    .display()
    .to_string()
}

/// Waits (bounded) for Chromium to have written a page containing `needle`.
fn wait_page(dir: &Path, needle: &str) -> String {
    let end = Instant::now() + Duration::from_secs(60);
    loop {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with("page-") {
                let text = std::fs::read_to_string(e.path()).unwrap_or_default();
                if text.contains(needle) {
                    return text;
                }
            }
        }
        assert!(Instant::now() < end, "Chromium wrote no page with {needle:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn headless_chromium_completes_a_web_login() {
    let srv = AuthServer::start();
    let mut t = oauth_env(&srv, "kw-rotate");
    let browser = chromium_browser(t.dir.path());
    t.set("BROWSER", &browser);
    t.cmd(&["login", "--web"])
        .run()
        .ok()
        .stderr_has(&format!("Logged in to {} as user@example.test", t.svc));
    wait_page(t.dir.path(), "You may close this window");
    assert_eq!(srv.token_requests("authorization_code"), 1);
    assert!(srv.active("kw-rotate", &token(&t, "default")));
    assert_eq!(grant(&t, "default")["refresh_backend"], "keyring");
}

#[test]
fn headless_chromium_approves_a_device_login() {
    let srv = AuthServer::start();
    let mut t = oauth_env(&srv, "kw-plain");
    let browser = chromium_browser(t.dir.path());
    t.set("BROWSER", &browser);
    t.cmd(&["login", "--device"])
        .run()
        .ok()
        .stderr_has("First copy your one-time code")
        .stderr_has(&format!("Logged in to {} as user@example.test", t.svc));
    wait_page(t.dir.path(), "Device login approved");
    assert_eq!(
        srv.tokens_issued("urn:ietf:params:oauth:grant-type:device_code"),
        1
    );
    assert!(srv.active("kw-plain", &token(&t, "default")));
}
