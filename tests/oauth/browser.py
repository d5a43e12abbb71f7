#!/usr/bin/python3
"""The scripted browser of the OAuth tests, used as $BROWSER: opens the URL it is given,
keeps cookies, follows redirects and submits each page's form (the device confirmation), as
a person clicking "Continue" would. With KW_BROWSER_ABORT set it presses "Abort" instead;
with KW_BROWSER_STOP_AT=PATH it does not follow a redirect to PATH (a browser on another
machine, which cannot reach the loopback listener) and logs the URL it was sent to.
Appends the pages it ended on to $KW_BROWSER_LOG (the tests read what the loopback page said)."""
import html.parser
import http.cookiejar
import os
import sys
import urllib.parse
import urllib.request


class Form(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.action, self.fields, self.inside = None, [], False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and self.action is None and a.get("method", "get").lower() == "post":
            self.action, self.inside = a.get("action", ""), True
        elif tag == "input" and self.inside and a.get("name"):
            self.fields.append((a["name"], a.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


class StopAt(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        stop = os.environ.get("KW_BROWSER_STOP_AT")
        if stop and urllib.parse.urlsplit(newurl).path == stop:
            raise Stopped(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class Stopped(Exception):
    pass


def main():
    url = sys.argv[1]
    jar = urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    opener = urllib.request.build_opener(jar, StopAt())
    data = None
    page = ""
    for _ in range(12):
        try:
            resp = opener.open(urllib.request.Request(url, data=data), timeout=20)
            page, url = resp.read().decode("utf-8", "replace"), resp.geturl()
        except urllib.error.HTTPError as e:
            page, url = e.read().decode("utf-8", "replace"), e.geturl()
            break
        except Stopped as s:
            page, url = "(not followed)", s.args[0]
            break
        form = Form()
        form.feed(page)
        if form.action is None:
            break
        fields = form.fields + ([("abort", "yes")] if os.environ.get("KW_BROWSER_ABORT") else [])
        data = urllib.parse.urlencode(fields).encode()
        url = urllib.parse.urljoin(url, form.action)
    log = os.environ.get("KW_BROWSER_LOG")
    if log:
        with open(log, "a") as f:
            f.write(f"{url}\t{' '.join(page.split())[:300]}\n")


if __name__ == "__main__":
    main()
