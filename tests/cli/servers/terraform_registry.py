# A terraform host for tests/cli/terraform.rs, run after tlsserver.rs's preamble: service
# discovery with login.v1 (authorization code + PKCE; the code is handed out by
# /oauth/authorize, which redirects straight back to terraform's loopback) and modules.v1
# (one module, kw/greeting/null 1.0.0), whose API answers only with SERVER_TOKEN.
import base64, hashlib, io, tarfile, urllib.parse

token = os.environ["SERVER_TOKEN"]
codes = {}

def module_archive():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        data = b'output "greeting" { value = "served by the keyward test registry" }\n'
        info = tarfile.TarInfo("main.tf")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()

ARCHIVE = module_archive()

class Handler(http.server.BaseHTTPRequestHandler):
    def authorized(self):
        auth = self.headers.get("Authorization")
        state = "none" if auth is None else ("ok" if auth == "Bearer " + token else "denied")
        log(self.command + " " + self.path.split("?")[0] + " " + state)
        return state == "ok"

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/.well-known/terraform.json":
            self.authorized()
            return reply(self, 200, {
                "login.v1": {"client": "terraform-cli", "grant_types": ["authz_code"],
                             "authz": "/oauth/authorize", "token": "/oauth/token", "ports": [10000, 10010]},
                "modules.v1": "/v1/modules/",
            })
        if url.path == "/oauth/authorize":
            log("GET /oauth/authorize")
            code = "code-" + q["state"]
            codes[code] = q["code_challenge"]
            target = q["redirect_uri"] + "?" + urllib.parse.urlencode({"code": code, "state": q["state"]})
            return reply(self, 302, b"", "text/plain", [("Location", target)])
        if url.path == "/files/module.tar.gz":
            log("GET /files/module.tar.gz")
            return reply(self, 200, ARCHIVE, "application/gzip")
        if not self.authorized():
            return reply(self, 401, {"errors": ["not authorized"]})
        if url.path == "/v1/modules/kw/greeting/null/versions":
            return reply(self, 200, {"modules": [{"versions": [{"version": "1.0.0"}]}]})
        if url.path == "/v1/modules/kw/greeting/null/1.0.0/download":
            base = "https://" + self.headers["Host"]
            return reply(self, 204, b"", "text/plain", [("X-Terraform-Get", base + "/files/module.tar.gz")])
        reply(self, 404, {"errors": ["not found"]})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        form = dict(urllib.parse.parse_qsl(body))
        log("POST " + self.path)
        challenge = codes.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier", "").encode()
        expected = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
        if self.path != "/oauth/token" or challenge is None or challenge != expected:
            return reply(self, 400, {"error": "invalid_grant"})
        reply(self, 200, {"access_token": token, "token_type": "bearer"})

serve(Handler)
