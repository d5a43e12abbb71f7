//! The spinner shown on stderr while the API is slow: it appears only when a wait passes
//! ~200 ms, and erases itself; on a dumb terminal or without UTF-8 it is one static line.

use std::io::Write;
use std::sync::mpsc;
use std::time::Duration;

use crate::cli::output::Style;

/// A spinner on stderr that appears only when the wait passes ~200 ms, and erases itself.
pub(crate) struct Spinner {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Spinner {
    pub(crate) fn start(label: String) -> Spinner {
        let (tx, rx) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            if !matches!(
                rx.recv_timeout(Duration::from_millis(200)),
                Err(mpsc::RecvTimeoutError::Timeout)
            ) {
                return;
            }
            let style = Style::current();
            if !style.unicode {
                // A dumb terminal or a plain locale: one static line, no animation to erase.
                let _ = writeln!(std::io::stderr(), "{label}...");
                let _ = rx.recv();
                return;
            }
            let frames: Vec<char> = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏".chars().collect();
            let ellipsis = "…";
            let mut i = 0;
            loop {
                let _ = write!(
                    std::io::stderr(),
                    "\r{} {label}{ellipsis}",
                    frames[i % frames.len()]
                );
                let _ = std::io::stderr().flush();
                i += 1;
                if !matches!(
                    rx.recv_timeout(Duration::from_millis(80)),
                    Err(mpsc::RecvTimeoutError::Timeout)
                ) {
                    break;
                }
            }
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
            let _ = std::io::stderr().flush();
        });
        Spinner {
            stop: Some(tx),
            thread: Some(thread),
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
