//! What the real-client tests share: the binary under every helper name (links, as the
//! packages install them) first on PATH, free loopback ports, and bounded waits for a
//! server to answer.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::harness::TestEnv;

/// The helper names the packages install, each a link to the binary under test.
pub const HELPERS: [&str; 3] = [
    "git-credential-keyward",
    "docker-credential-keyward",
    "cargo-credential-keyward",
];

/// A directory holding `keyward` and every helper link.
pub fn links_dir() -> &'static Path {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("clients-bin-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for name in std::iter::once("keyward").chain(HELPERS) {
            let _ = std::fs::remove_file(dir.join(name));
            std::os::unix::fs::symlink(crate::harness::bin(), dir.join(name)).unwrap();
        }
        dir
    })
}

/// The path of one helper link.
pub fn helper(name: &str) -> String {
    links_dir().join(name).display().to_string()
}

/// Puts the links first on the test's PATH.
pub fn links_on_path(t: &mut TestEnv) {
    let path = format!(
        "{}:{}",
        links_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    t.set("PATH", &path);
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Polls until something accepts connections on `port` (at most 20 s).
#[track_caller]
pub fn wait_for_port(port: u16, child: &mut std::process::Child) {
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the server on port {port} exited: {status}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "nothing listens on {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A child process killed when dropped.
pub struct Server(pub std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
