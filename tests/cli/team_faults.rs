//! A shared write whose answer or request is lost, against the real OpenBao dev server
//! behind a fault-injecting HTTP/1.1 proxy on 127.0.0.1: an answer lost after the write
//! landed is found by reading back and reported once (`landed_earlier`), a request lost
//! before it reached the server is sent again and applied once, a teammate's write in
//! between is a conflict (exit 7) that leaves their value, and an address answering 503
//! or resetting the connection hands over to the next one.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::team::Team;

/// What the proxy does with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Passed to bao, its answer relayed.
    Forward,
    /// Read in full and never passed on; the client's connection is closed unanswered.
    DropRequest,
    /// Passed to bao, whose whole answer is read; then the client's connection is closed
    /// instead of relaying it.
    DropAnswer,
    /// Answered 503 (not "sealed") without passing it on.
    Unavailable,
    /// Passed to bao, whose answer is replaced by a 502, as a gateway that lost it says.
    BadGateway,
    /// The connection is reset: closed with the request unread, so the kernel sends RST.
    Reset,
}

/// One request as the proxy saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    fault: Fault,
}

impl Seen {
    /// A KV v2 write of the team's mount.
    fn is_write(&self) -> bool {
        matches!(self.method.as_str(), "POST" | "PUT") && self.path.starts_with("/v1/secret/data/")
    }

    /// Bao received it.
    fn reached_bao(&self) -> bool {
        matches!(self.fault, Fault::Forward | Fault::DropAnswer | Fault::BadGateway)
    }
}

/// The faults to apply from now on.
struct Plan {
    /// For the next KV writes, in order.
    writes: VecDeque<Fault>,
    /// For every other request, and the writes after those.
    others: Fault,
    /// Taken by the next faulty write: the proxy says `held` once bao has answered (or the
    /// request was dropped) and waits for `release` before closing the client's connection.
    hold: Option<(Sender<()>, Receiver<()>)>,
}

/// A proxy on a free loopback port in front of bao; one request per connection (it asks
/// bao for `Connection: close`, and bao says so to the client).
struct Proxy {
    addr: String,
    port: u16,
    plan: Arc<Mutex<Plan>>,
    log: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
}

impl Proxy {
    fn start(upstream: &str) -> Proxy {
        let upstream: u16 = upstream.rsplit(':').next().unwrap().parse().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let proxy = Proxy {
            addr: format!("http://127.0.0.1:{port}"),
            port,
            plan: Arc::new(Mutex::new(Plan {
                writes: VecDeque::new(),
                others: Fault::Forward,
                hold: None,
            })),
            log: Arc::default(),
            stop: Arc::default(),
        };
        let (plan, log, stop) = (proxy.plan.clone(), proxy.log.clone(), proxy.stop.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = client else { continue };
                let (plan, log) = (plan.clone(), log.clone());
                std::thread::spawn(move || serve(client, upstream, &plan, &log));
            }
        });
        proxy
    }

    /// `writes` for the next KV writes, `others` for every other request and later writes.
    fn faults(&self, writes: &[Fault], others: Fault) {
        let mut plan = self.plan.lock().unwrap();
        plan.writes = writes.iter().copied().collect();
        plan.others = others;
    }

    /// The next faulty write waits: `held` fires when it has been dealt with upstream,
    /// and the client's connection is closed once `release` is sent.
    fn hold_next_fault(&self) -> (Receiver<()>, Sender<()>) {
        let (held_tx, held_rx) = channel();
        let (release_tx, release_rx) = channel();
        self.plan.lock().unwrap().hold = Some((held_tx, release_rx));
        (held_rx, release_tx)
    }

    /// Every request seen, in order.
    fn seen(&self) -> Vec<Seen> {
        self.log.lock().unwrap().clone()
    }

    /// The KV writes seen, with what was done to each.
    fn writes(&self) -> Vec<Fault> {
        self.seen()
            .iter()
            .filter(|s| s.is_write())
            .map(|s| s.fault)
            .collect()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// A request's head as peeked (not consumed): method, path, head length, body length.
fn peek_head(client: &TcpStream) -> Option<(String, String, usize, usize)> {
    let mut buf = vec![0u8; 64 * 1024];
    let started = Instant::now();
    let (n, end) = loop {
        let n = client.peek(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        if let Some(at) = buf[..n].windows(4).position(|w| w == b"\r\n\r\n") {
            break (n, at + 4);
        }
        assert!(
            n < buf.len() && started.elapsed() < Duration::from_secs(10),
            "no request head"
        );
        std::thread::yield_now();
    };
    let head = String::from_utf8_lossy(&buf[..end.min(n)]).into_owned();
    let mut words = head.split_whitespace();
    let (method, path) = (words.next()?.to_string(), words.next()?.to_string());
    let mut body = 0;
    for line in head.lines() {
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            body = v.trim().parse().ok()?;
        }
        assert!(
            !lower.starts_with("transfer-encoding:"),
            "the proxy reads sized bodies only"
        );
    }
    Some((method, path, end, body))
}

fn serve(mut client: TcpStream, upstream: u16, plan: &Mutex<Plan>, log: &Mutex<Vec<Seen>>) {
    let Some((method, path, head_len, body_len)) = peek_head(&client) else {
        return;
    };
    let mut seen = Seen {
        method,
        path,
        fault: Fault::Forward,
    };
    let hold = {
        let mut plan = plan.lock().unwrap();
        seen.fault = if seen.is_write() {
            plan.writes.pop_front().unwrap_or(plan.others)
        } else {
            plan.others
        };
        if seen.fault == Fault::Forward {
            None
        } else {
            plan.hold.take()
        }
    };
    log.lock().unwrap().push(seen.clone());
    if seen.fault == Fault::Reset {
        // Dropped with the request still in the receive buffer: the kernel answers RST.
        drop(client);
        return;
    }
    let mut request = vec![0u8; head_len + body_len];
    if client.read_exact(&mut request).is_err() {
        return;
    }
    let answer = match seen.fault {
        Fault::Forward | Fault::DropAnswer | Fault::BadGateway => {
            forward(&request[..head_len], &request[head_len..], upstream)
        }
        _ => Vec::new(),
    };
    if let Some((held, release)) = hold {
        held.send(()).unwrap();
        release.recv_timeout(Duration::from_secs(60)).expect("released");
    }
    match seen.fault {
        Fault::Forward => {
            let _ = client.write_all(&answer);
        }
        Fault::Unavailable => answer_error(&mut client, "503 Service Unavailable"),
        Fault::BadGateway => answer_error(&mut client, "502 Bad Gateway"),
        _ => {}
    }
    let _ = client.shutdown(Shutdown::Both);
}

fn answer_error(client: &mut TcpStream, status: &str) {
    let body = r#"{"errors":["the proxy failed"]}"#;
    let _ = write!(
        client,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

/// Sends one request to bao with `Connection: close` and reads its whole answer.
fn forward(head: &[u8], body: &[u8], upstream: u16) -> Vec<u8> {
    let head = String::from_utf8_lossy(head);
    let mut out = String::new();
    for line in head.split("\r\n").filter(|l| !l.is_empty()) {
        let lower = line.to_ascii_lowercase();
        if !lower.starts_with("connection:") && !lower.starts_with("keep-alive:") {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str("Connection: close\r\n\r\n");
    let mut bao = TcpStream::connect(("127.0.0.1", upstream)).expect("bao is up");
    bao.write_all(out.as_bytes()).unwrap();
    bao.write_all(body).unwrap();
    let mut answer = Vec::new();
    bao.read_to_end(&mut answer).unwrap();
    assert!(answer.starts_with(b"HTTP/1.1 "), "bao answered");
    answer
}

/// A team whose `deploy-key` is at version 1 (written straight to bao), and a service
/// pointed at `addrs` from then on.
fn team_with_one_version() -> Team {
    let mut team = Team::start();
    let rw = team.token("team-rw");
    team.t.set("VAULT_TOKEN", &rw);
    set_key(&team, false).0.ok();
    assert_eq!(team.version(), 1);
    team
}

/// `secrets set --shared deploy-key` (with `-o json` if `json`) of a new value: its
/// output and the value.
fn set_key(team: &Team, json: bool) -> (crate::harness::Out, String) {
    let value = team.t.sentinel("dk_");
    let mut args = vec!["secrets", "set", "--shared", "deploy-key"];
    if json {
        args.extend(["-o", "json"]);
    }
    let out = team.t.cmd(&args).stdin(value.clone()).run();
    (out, value)
}

fn point_at(team: &Team, addrs: &[&str]) {
    let svc = team.t.svc.clone();
    let mut args = vec!["services", "add", &svc];
    for a in addrs {
        args.extend(["--vault-addr", a]);
    }
    args.extend(["--vault-path", "team/acme"]);
    team.t.raw(&args).run().ok();
}

#[test]
fn an_answer_lost_after_the_write_landed_is_reported_once() {
    let team = team_with_one_version();
    let proxy = Proxy::start(&team.server.addr);
    point_at(&team, &[&proxy.addr]);
    proxy.faults(&[Fault::DropAnswer], Fault::Forward);
    let (out, value) = set_key(&team, false);
    out.ok()
        .stderr_has("Shared secret 'deploy-key' saved (version 1 → 2; ")
        .stderr_has("the write had landed)");
    assert_eq!(team.version(), 2, "applied once");
    assert_eq!(team.field("deploy-key").as_deref(), Some(value.as_str()));
    assert_eq!(proxy.writes(), [Fault::DropAnswer], "read back, not sent again");

    proxy.faults(&[Fault::DropAnswer], Fault::Forward);
    let (out, value) = set_key(&team, true);
    let json = out.ok().json();
    assert_eq!(
        (
            &json["landed_earlier"],
            &json["read_version"],
            &json["version"],
            &json["changed"]
        ),
        (&true.into(), &2.into(), &3.into(), &true.into()),
        "{json}"
    );
    assert_eq!(team.version(), 3);
    assert_eq!(team.field("deploy-key").as_deref(), Some(value.as_str()));
    assert_eq!(proxy.writes(), [Fault::DropAnswer, Fault::DropAnswer]);
}

#[test]
fn a_request_lost_before_the_server_is_sent_again_and_applied_once() {
    let team = team_with_one_version();
    let proxy = Proxy::start(&team.server.addr);
    point_at(&team, &[&proxy.addr]);
    proxy.faults(&[Fault::DropRequest], Fault::Forward);
    let (out, value) = set_key(&team, true);
    let json = out.ok().json();
    assert_eq!(
        (&json["landed_earlier"], &json["read_version"], &json["version"]),
        (&false.into(), &1.into(), &2.into()),
        "{json}"
    );
    assert_eq!(team.version(), 2);
    assert_eq!(team.field("deploy-key").as_deref(), Some(value.as_str()));
    assert_eq!(proxy.writes(), [Fault::DropRequest, Fault::Forward]);
    let reached = proxy
        .seen()
        .iter()
        .filter(|s| s.is_write() && s.reached_bao())
        .count();
    assert_eq!(reached, 1, "exactly one write reached bao");
    // Between the two attempts it read the version back (read, lost write, read, write).
    let methods: Vec<String> = proxy.seen().iter().map(|s| s.method.clone()).collect();
    assert_eq!(methods, ["GET", "POST", "GET", "POST"]);
}

/// Our write's request (`DropRequest`) or answer (`DropAnswer`) is lost, and a teammate
/// writes before our connection closes: exit 7 naming the versions, their value stays.
fn teammate_writes_in_between(fault: Fault, expected_now: u64) {
    let team = team_with_one_version();
    let proxy = Proxy::start(&team.server.addr);
    point_at(&team, &[&proxy.addr]);
    proxy.faults(&[fault], Fault::Forward);
    let (held, release) = proxy.hold_next_fault();
    let theirs = team.t.sentinel("dk_");
    let mut put = team
        .admin_cmd(&["kv", "put", "secret/team/acme", &format!("deploy-key={theirs}")])
        .cmd;
    let teammate = std::thread::spawn(move || {
        held.recv_timeout(Duration::from_secs(60))
            .expect("our write reached the proxy");
        let o = put.stdin(std::process::Stdio::null()).output().unwrap();
        release.send(()).unwrap();
        o
    });
    let (out, _) = set_key(&team, false);
    let put = teammate.join().unwrap();
    assert!(put.status.success(), "{}", String::from_utf8_lossy(&put.stderr));
    out.code(7).stderr_has(&format!(
        "secret/team/acme was changed by someone else since you read it (version 1 → {expected_now}): run it again"
    ));
    assert_eq!(team.version(), expected_now, "nothing written after theirs");
    assert_eq!(team.field("deploy-key").as_deref(), Some(theirs.as_str()));
    assert_eq!(proxy.writes(), [fault], "not sent again");
}

#[test]
fn a_teammates_write_after_our_lost_answer_is_a_conflict() {
    // Ours landed as version 2, theirs as 3.
    teammate_writes_in_between(Fault::DropAnswer, 3);
}

#[test]
fn a_teammates_write_after_our_lost_request_is_a_conflict() {
    // Ours never arrived; theirs is version 2 with other values.
    teammate_writes_in_between(Fault::DropRequest, 2);
}

/// `a` and `b` in front of one bao, the service given both, `deploy-key` set once: the
/// output line naming the address that served, and the new value as bao reads it.
fn set_through(team: &Team, a: &Proxy, b: &Proxy) -> crate::harness::Out {
    point_at(team, &[&a.addr, &b.addr]);
    let before = team.version();
    let (out, value) = set_key(team, false);
    assert_eq!(
        out.code,
        0,
        "{}\nA saw {:?}\nB saw {:?}",
        out.stderr,
        a.seen(),
        b.seen()
    );
    assert_eq!(team.version(), before + 1, "applied once: {}", out.stderr);
    assert_eq!(team.field("deploy-key").as_deref(), Some(value.as_str()));
    out
}

#[test]
fn an_address_that_fails_hands_over_to_the_next() {
    let team = team_with_one_version();
    let (a, b) = (Proxy::start(&team.server.addr), Proxy::start(&team.server.addr));
    let served_by_b = format!("In secret/team/acme on {}", b.addr);

    // A answers 503 to everything: B serves the read and the write.
    a.faults(&[], Fault::Unavailable);
    set_through(&team, &a, &b).stderr_has(&served_by_b);
    assert_eq!((a.writes(), a.seen().len()), (vec![], 1), "A only saw the read");
    assert_eq!(b.writes(), [Fault::Forward]);

    // A resets every connection: the same.
    a.faults(&[], Fault::Reset);
    let (a_before, b_before) = (a.seen().len(), b.seen().len());
    set_through(&team, &a, &b).stderr_has(&served_by_b);
    assert_eq!(a.seen().len() - a_before, 1, "A only saw the read");
    assert_eq!(b.seen()[b_before..].iter().filter(|s| s.is_write()).count(), 1);

    // A serves the read, then answers the write 503 (not passed on): B writes.
    a.faults(&[Fault::Unavailable], Fault::Forward);
    set_through(&team, &a, &b).stderr_has(&served_by_b);
    assert_eq!(a.writes(), [Fault::Unavailable]);
    assert_eq!(b.writes(), [Fault::Forward, Fault::Forward, Fault::Forward]);

    // A serves the read, then resets the write's connection: B writes.
    a.faults(&[Fault::Reset], Fault::Forward);
    set_through(&team, &a, &b).stderr_has(&served_by_b);
    assert_eq!(a.writes(), [Fault::Unavailable, Fault::Reset]);
    assert_eq!(b.writes().len(), 4);
}

#[test]
fn a_write_that_landed_on_the_first_address_is_not_a_conflict_on_the_next() {
    // A passes our write on and loses the answer; B, asked next in the same pass, gets
    // check-and-set's refusal, since A's attempt is the version now current.
    let team = team_with_one_version();
    let (a, b) = (Proxy::start(&team.server.addr), Proxy::start(&team.server.addr));
    a.faults(&[Fault::DropAnswer], Fault::Forward);
    set_through(&team, &a, &b)
        .stderr_has("saved (version 1 → 2; ")
        .stderr_has("the write had landed)");
    assert_eq!(a.writes(), [Fault::DropAnswer]);
    assert_eq!(
        b.writes(),
        [Fault::Forward],
        "refused by check-and-set, not applied"
    );

    // A gateway in front of A passes the write on and answers 502: the same.
    a.faults(&[Fault::BadGateway], Fault::Forward);
    set_through(&team, &a, &b)
        .stderr_has("saved (version 2 → 3; ")
        .stderr_has("the write had landed)");
    assert_eq!(a.writes(), [Fault::DropAnswer, Fault::BadGateway]);
    assert_eq!(b.writes(), [Fault::Forward, Fault::Forward]);

    // With A alone, the 502 is followed by a read that finds the write landed.
    point_at(&team, &[&a.addr]);
    a.faults(&[Fault::BadGateway], Fault::Forward);
    let (out, _) = set_key(&team, true);
    let json = out.ok().json();
    assert_eq!(
        (&json["landed_earlier"], &json["version"]),
        (&true.into(), &4.into()),
        "{json}"
    );
    assert_eq!(team.version(), 4);
    assert_eq!(a.writes().len(), 3, "read back, not sent again");
}
