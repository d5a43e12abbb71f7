//! `exec --mask`: keyward stays the parent, runs the command on a pseudo-terminal when its
//! own output is a terminal (so colours, line editing and progress bars keep working) and on
//! pipes otherwise (stdout and stderr apart), and replaces the values it injected, in
//! everything the command writes, with `***` (see [`crate::ops::mask`]).

mod pump;
mod signals;
#[cfg(target_os = "linux")]
mod spliced;
mod term;

use std::ffi::OsString;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus, Stdio};

use crate::Secret;
use crate::ops::mask::Masker;
use pump::Sink;
use term::Ttys;

/// The argv\[0\] under which keyward starts itself on the pty: a new session whose
/// controlling terminal is the pty, then the command (std cannot do that step safely).
pub(crate) const SESSION_ARG0: &str = "keyward-exec-session";

/// What to run.
pub(crate) struct Launch<'a> {
    pub(crate) program: &'a OsString,
    pub(crate) args: &'a [OsString],
    /// Set in the command's environment (never in its arguments).
    pub(crate) vars: &'a [(String, Secret)],
    /// Whether this binary answers to [`SESSION_ARG0`] (keyward does; an embedder's
    /// program may not, and its command then runs on the pty without a session of its own).
    pub(crate) session: bool,
}

/// Runs the command masked and returns its exit status as a shell reports it (128+n when
/// a signal killed it). An error means it could not be started.
pub(crate) fn run(launch: &Launch<'_>, masker: &Masker) -> std::io::Result<u8> {
    let ttys = Ttys::detect();
    let caught = signals::catch()?;
    let pty = ttys.any_output().then(|| term::open_pty(ttys)).transpose()?;
    let mut cmd = command(launch, pty.is_some());
    if let Some(p) = &pty {
        let slave = || p.slave.try_clone().map(Stdio::from);
        if ttys.input {
            cmd.stdin(slave()?);
        }
        cmd.stdout(if ttys.out { slave()? } else { Stdio::piped() });
        cmd.stderr(if ttys.err { slave()? } else { Stdio::piped() });
    } else {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    }
    let mut child = cmd.spawn()?;
    // Our copies of the pty's terminal end go, so its reads end when the command's do.
    drop(cmd);
    let (master, slave) = match pty {
        Some(p) => (Some(p.master), Some(p.slave)),
        None => (None, None),
    };
    drop(slave);
    let raw = match (&master, ttys.input) {
        (Some(_), true) => term::RawMode::enter().ok(),
        _ => None,
    };
    let forwarder = caught.forward(
        signals::Target {
            pid: rustix::process::Pid::from_child(&child),
            pty: master.as_ref().and_then(|m| m.try_clone().ok()),
            int_from_terminal: master.is_none() && signals::terminal_sends_int(),
        },
        term::terminal(ttys),
    );
    // Every output is read to its end before the command is reaped, so a signal is never
    // forwarded to a pid that may have been reused.
    std::thread::scope(|s| {
        if let Some(m) = &master {
            if raw.is_some()
                && let Ok(to) = m.try_clone()
            {
                // Not joined: it waits on keyward's stdin, which may never end.
                std::thread::spawn(move || pump::copy_stdin(to));
            }
            let from = m.try_clone().ok();
            let to = if ttys.out { Sink::Stdout } else { Sink::Stderr };
            s.spawn(move || from.map(|f| pump::pump(f, to, masker)));
        }
        if let Some(o) = child.stdout.take() {
            s.spawn(move || pump::pump(o.into(), Sink::Stdout, masker));
        }
        if let Some(e) = child.stderr.take() {
            s.spawn(move || pump::pump(e.into(), Sink::Stderr, masker));
        }
    });
    let status = child.wait();
    forwarder.stop();
    drop(raw);
    Ok(shell_status(status?))
}

/// The command itself, or keyward under [`SESSION_ARG0`] in front of it on a pty.
fn command(launch: &Launch<'_>, on_pty: bool) -> Command {
    let me = (on_pty && launch.session)
        .then(std::env::current_exe)
        .and_then(Result::ok);
    let mut cmd = match me {
        Some(me) => {
            let mut c = Command::new(me);
            c.arg0(SESSION_ARG0).arg(launch.program);
            c
        }
        None => Command::new(launch.program),
    };
    cmd.args(launch.args);
    for (name, value) in launch.vars {
        cmd.env(name, value.expose());
    }
    cmd
}

/// The command's exit code, or 128+n for death by signal n, as shells report it.
fn shell_status(status: ExitStatus) -> u8 {
    match (status.code(), status.signal()) {
        (Some(code), _) => code as u8,
        (None, Some(sig)) => 128u8.wrapping_add(sig as u8),
        (None, None) => 1,
    }
}

/// keyward under [`SESSION_ARG0`]: leads a new session whose controlling terminal is the
/// pty it was given, so the terminal's keys (Ctrl-C, Ctrl-Z) and `/dev/tty` belong to the
/// command, then becomes the command. Returns only if that failed.
pub(crate) fn become_session(args: &[OsString]) -> (String, std::io::Error) {
    let _ = rustix::process::setsid();
    let fds = [
        rustix::stdio::stdin(),
        rustix::stdio::stdout(),
        rustix::stdio::stderr(),
    ];
    if let Some(tty) = fds.into_iter().find(|fd| rustix::termios::isatty(fd)) {
        let _ = rustix::process::ioctl_tiocsctty(tty);
    }
    let Some((program, rest)) = args.get(1..).and_then(<[OsString]>::split_first) else {
        return (String::new(), std::io::ErrorKind::InvalidInput.into());
    };
    let err = Command::new(program).args(rest).exec();
    (program.to_string_lossy().into_owned(), err)
}
