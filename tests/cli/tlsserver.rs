//! HTTPS servers on 127.0.0.1 for the real-client tests (kubectl, terraform): a throwaway
//! CA and a certificate for 127.0.0.1 made with openssl, and a Python server that wraps its
//! socket in TLS, binds port 0 and prints the port.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A CA and the server certificate it signed, as PEM files in `dir`.
pub struct Tls {
    /// The CA certificate, for the client's trust store.
    pub ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let o = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("openssl is installed");
    assert!(
        o.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

impl Tls {
    /// Makes a P-256 CA and a certificate for `127.0.0.1` (and `localhost`) under `dir`.
    pub fn new(dir: &Path) -> Tls {
        std::fs::create_dir_all(dir).unwrap();
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        let mut ca = vec!["req", "-x509"];
        ca.extend(ec);
        ca.extend([
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=keyward test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign",
        ]);
        openssl(dir, &ca);
        let mut csr = vec!["req"];
        csr.extend(ec);
        csr.extend([
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ]);
        openssl(dir, &csr);
        std::fs::write(
            dir.join("server.ext"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "server.pem",
                "-days",
                "2",
                "-extfile",
                "server.ext",
            ],
        );
        Tls {
            ca: dir.join("ca.pem"),
            cert: dir.join("server.pem"),
            key: dir.join("server.key"),
        }
    }

    /// The CA certificate as base64 of its PEM, as a kubeconfig's
    /// `certificate-authority-data` holds it.
    pub fn ca_base64(&self) -> String {
        let pem = std::fs::read(&self.ca).unwrap();
        let o = Command::new("openssl")
            .args(["base64", "-A"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write;
                c.stdin.take().unwrap().write_all(&pem)?;
                c.wait_with_output()
            })
            .expect("openssl base64");
        String::from_utf8(o.stdout).unwrap()
    }
}

/// What every server script starts with: `serve(Handler)` runs `Handler` over TLS and
/// prints the port; `log(line)` appends to the log file named by `SERVER_LOG`.
const PREAMBLE: &str = r#"
import http.server, json, os, ssl, sys

def log(line):
    with open(os.environ["SERVER_LOG"], "a") as f:
        f.write(line + "\n")

def serve(handler):
    handler.protocol_version = "HTTP/1.1"
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.environ["SERVER_CERT"], os.environ["SERVER_KEY"])
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    print(httpd.server_address[1], flush=True)
    httpd.serve_forever()

def reply(h, status, body, ctype="application/json", headers=()):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    h.send_response(status)
    h.send_header("Content-Type", ctype)
    h.send_header("Content-Length", str(len(data)))
    for k, v in headers:
        h.send_header(k, v)
    h.end_headers()
    h.wfile.write(data)
"#;

/// A running HTTPS server; killed on drop.
pub struct HttpsServer {
    child: Child,
    /// The port it bound.
    pub port: u16,
    /// `https://127.0.0.1:PORT`.
    pub base: String,
    log: PathBuf,
}

impl HttpsServer {
    /// Starts `script` (Python after [`PREAMBLE`], ending in `serve(...)`) in `dir` with
    /// `env`; its log is `dir/server.log`.
    pub fn start(dir: &Path, tls: &Tls, script: &str, env: &[(&str, &str)]) -> HttpsServer {
        let path = dir.join("server.py");
        std::fs::write(&path, format!("{PREAMBLE}\n{script}")).unwrap();
        let log = dir.join("server.log");
        std::fs::write(&log, "").unwrap();
        let (child, port) = crate::harness::spawn_announcing_port(
            Command::new("python3")
                .arg(&path)
                .envs(env.iter().copied())
                .env("SERVER_LOG", &log)
                .env("SERVER_CERT", &tls.cert)
                .env("SERVER_KEY", &tls.key)
                .current_dir(dir),
        );
        HttpsServer {
            child,
            port,
            base: format!("https://127.0.0.1:{port}"),
            log,
        }
    }

    /// The lines the script logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for HttpsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
