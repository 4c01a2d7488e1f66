"""A small news site on 127.0.0.1 for the web, feed and fetch tests: pages, feeds, failures."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BIG_BYTES = 50 * 1024 * 1024

PARAS = [
    "The regional water board approved a plan on Tuesday to rebuild two reservoirs that have "
    "leaked for a decade, a project engineers said would secure supplies for 400,000 homes.",
    "Work on the northern dam begins in March and is due to finish within three years, the "
    "board said, while the southern basin will be drained and relined the following spring.",
    "Farmers downstream welcomed the decision but asked for guarantees that irrigation would "
    "not be cut during the dry months while the basins are out of service.",
]
LATER = [
    "A night market returned to the old harbour on Saturday after a two-year pause, drawing "
    "crowds of families to stalls selling grilled fish, noodles and hand-made lanterns.",
    "Organisers said more than ninety traders had signed up and the market would run every "
    "weekend until the end of October, with live music on the quay.",
]


def article_page(title: str, paras: list[str], *, site: str, author: str, date: str) -> bytes:
    body = "\n".join(f"<p>{p}</p>" for p in paras)
    return (
        "<!doctype html><html><head>"
        f"<title>{title} | {site}</title>"
        f'<meta property="og:title" content="{title}">'
        f'<meta property="og:site_name" content="{site}">'
        f'<meta name="author" content="{author}">'
        f'<meta property="article:published_time" content="{date}">'
        "</head><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        f"<article><h1>{title}</h1>\n{body}\n</article>"
        "<footer>Copyright 2022 Valley Gazette. All rights reserved.</footer></body></html>"
    ).encode()


PAGES = {
    "/a.html": article_page(
        "Reservoirs to be rebuilt", PARAS, site="Valley Gazette", author="Mira Holt",
        date="2022-07-12T09:30:00+00:00",
    ),
    "/b.html": article_page(
        "Night market returns to the harbour", LATER, site="Valley Gazette", author="Ben Ode",
        date="2022-07-16T18:00:00+00:00",
    ),
}  # fmt: skip
FULL_TEXT = " ".join(
    f"<p>Paragraph {n} of the long feed story: the council's budget hearing ran late into the "
    f"evening as members debated road repairs, school meals and library hours.</p>"
    for n in range(1, 12)
)


def rss(base: str) -> bytes:
    items = "".join(
        f"<item><title>{title}</title><link>{base}{path}</link><guid>{base}{path}</guid>"
        f"<pubDate>{date}</pubDate><description>A short teaser.</description></item>"
        for title, path, date in [
            ("Reservoirs to be rebuilt", "/a.html", "Tue, 12 Jul 2022 09:30:00 GMT"),
            ("Night market returns", "/b.html", "Sat, 16 Jul 2022 18:00:00 GMT"),
            ("A page that is gone", "/missing.html", "Sun, 17 Jul 2022 08:00:00 GMT"),
        ]
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Valley Gazette</title>'
        f"<link>{base}/</link><description>Local news</description>{items}</channel></rss>"
    ).encode()


def atom(base: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Council Watch</title><id>{base}/atom</id><updated>2022-07-18T10:00:00Z</updated>"
        "<entry><title>Budget hearing runs late</title>"
        f'<id>urn:example:budget</id><link href="{base}/budget"/>'
        "<updated>2022-07-18T10:00:00Z</updated><author><name>Ida Vale</name></author>"
        f'<content type="html"><![CDATA[{FULL_TEXT}]]></content></entry></feed>'
    ).encode()


class Site:
    """Serves the pages; counts requests; a slow page waits until the test lets it go."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.not_modified = 0
        self.release = threading.Event()
        self.etag = '"v1"'
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def do_GET(self) -> None:
                site.hits[self.path] += 1
                site.route(self)

        return Handler

    def route(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path
        if path in PAGES:
            self.send(h, 200, "text/html; charset=utf-8", PAGES[path])
        elif path in ("/rss.xml", "/atom.xml"):
            if h.headers.get("If-None-Match") == self.etag:
                self.not_modified += 1
                h.send_response(304)
                h.send_header("ETag", self.etag)
                h.end_headers()
                return
            body = rss(self.base) if path == "/rss.xml" else atom(self.base)
            kind = "application/rss+xml" if path == "/rss.xml" else "application/atom+xml"
            self.send(h, 200, kind, body, {"ETag": self.etag, "Last-Modified": formatdate()})
        elif path == "/slow.html":
            self.release.wait(30)
            self.send(h, 200, "text/html", PAGES["/a.html"])
        elif path == "/big.html":
            self.stream_big(h)
        elif path in ("/loop1", "/loop2"):
            h.send_response(302)
            h.send_header("Location", "/loop2" if path == "/loop1" else "/loop1")
            h.send_header("Content-Length", "0")
            h.end_headers()
        elif path == "/report.pdf":
            self.send(h, 200, "application/pdf", b"%PDF-1.4 not a web page")
        elif path == "/broken.xml":
            self.send(h, 500, "text/plain", b"server error")
        else:
            self.send(h, 404, "text/html", b"<html><body>not found</body></html>")

    @staticmethod
    def send(
        h: BaseHTTPRequestHandler,
        code: int,
        kind: str,
        body: bytes,
        extra: dict[str, str] | None = None,
    ) -> None:
        h.send_response(code)
        h.send_header("Content-Type", kind)
        h.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)

    @staticmethod
    def stream_big(h: BaseHTTPRequestHandler) -> None:
        """50 MB with no Content-Length, written from one reused 64 KB block."""
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.end_headers()
        block = b"<p>" + b"x" * (64 * 1024 - 7) + b"</p>\n"
        try:
            for _ in range(BIG_BYTES // len(block)):
                h.wfile.write(block)
        except (BrokenPipeError, ConnectionResetError):
            pass


@contextmanager
def serve() -> Iterator[Site]:
    site = Site()
    thread = threading.Thread(target=site.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        site.release.set()
        site.server.shutdown()
        site.server.server_close()
        thread.join(10)
