"""Slow news sites for the runs over many machines (tests/test_distributed.py's politeness
test, tests/benchmarks/bench_distributed.py): latency-bound, as real sites are."""

from __future__ import annotations

import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.conftest import LOREM

CITIES = ("Northfield", "Southport", "Eastwick", "Westbury", "Ashford", "Brookhaven", "Clearwater", "Dunmore",
          "Elmstead", "Fairhaven", "Glenrock", "Highgate")

ARTICLE_PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta property="og:title" content="{title}"></head><body><nav><a href="/">Home</a></nav>
<article><h1>{title}</h1><time datetime="2024-11-{day:02d}T08:00:00+00:00">November {day}, 2024</time>
{paragraphs}</article><footer>Copyright 2024 {host}</footer></body></html>"""
FRONT_PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{host}</title></head><body>
<h1>{host}</h1><ul>{links}</ul></body></html>"""


class SlowSites:
    """`hosts` news sites on one loopback HTTP server, told apart by the Host header
    (www.site-0.test, ...: point them at 127.0.0.1 with tests/benchmarks/hosts.py's
    resolver), each with a front page listing `articles` articles, every page answered after
    `delay` seconds; every request's host, path, start and end recorded in `requests`."""

    def __init__(self, hosts: int = 2, articles: int = 10, delay: float = 0.3):
        self.hosts = tuple(f"www.site-{n}.test" for n in range(hosts))
        self.articles = articles
        self.delay = delay
        self.requests: list[tuple[str, str, float, float]] = []
        lock = threading.Lock()
        sites = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                started = time.monotonic()
                host = self.headers.get("Host", "").split(":")[0]
                time.sleep(sites.delay)
                body = sites.page(host, self.path)
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")
                with lock:
                    sites.requests.append((host, self.path, started, time.monotonic()))

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # many crawlers connect at once
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def article_path(self, n: int) -> str:
        return f"/news/2024/11/{n + 1:02d}/council-approves-transport-plan-number-{n}.html"

    def page(self, host: str, path: str) -> bytes | None:
        if host not in self.hosts:
            return None
        if path == "/":
            links = "".join(f'<li><a href="{self.article_path(n)}">Story {n}</a></li>' for n in range(self.articles))
            return FRONT_PAGE.format(host=host, links=links).encode()
        for n in range(self.articles):
            if path == self.article_path(n):
                pick = random.Random(f"{host} {n}")
                vocabulary = LOREM.replace(",", "").replace(".", "").split()
                paragraphs = "".join("<p>" + " ".join(pick.choice(vocabulary) for _ in range(50)) + ".</p>"
                                     for _ in range(6))
                city = CITIES[self.hosts.index(host) % len(CITIES)]
                title = f"{city} council approves the new transport plan, part {n}"
                return ARTICLE_PAGE.format(title=title, day=n % 28 + 1, paragraphs=paragraphs,
                                           host=host).encode()
        return None

    def front_urls(self) -> str:
        return ",".join(f"http://{host}:{self.port}/" for host in self.hosts)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


