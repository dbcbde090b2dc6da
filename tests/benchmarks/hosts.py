"""A hosts-file for benchmark crawls: a Scrapy DNS resolver that answers the names in the
BENCH_HOSTS setting ("www.ecns.cn=127.42.0.1,ecns.cn=127.42.0.1") itself and asks the
system for the rest. Set with `-s TWISTED_DNS_RESOLVER=tests.benchmarks.hosts.HostsResolver`
for benchmark runs only: the request URLs, Host headers and everything the crawl stores stay
the real site's, only the TCP connection goes to the loopback server."""

from __future__ import annotations

from twisted.internet import defer

from scrapy.resolver import CachingThreadedResolver


class HostsResolver(CachingThreadedResolver):
    hosts: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler, reactor):
        resolver = super().from_crawler(crawler, reactor)
        pairs = (p.split("=", 1) for p in (crawler.settings.get("BENCH_HOSTS") or "").split(",") if "=" in p)
        resolver.hosts = {name.strip().lower(): ip.strip() for name, ip in pairs}
        return resolver

    def getHostByName(self, name, timeout=()):
        address = self.hosts.get(name.lower())
        if address is not None:
            return defer.succeed(address)
        return super().getHostByName(name, timeout)
