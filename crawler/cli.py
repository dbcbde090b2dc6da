"""The `newsarchive` console script: the archive's commands plus those that need the
extractor (`extract`, `record`)."""

from __future__ import annotations

import gzip
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import click

from archive.cli import cli
from archive.lock import DEFAULT_LOCK_TIMEOUT
from crawler.worker_pool import TaskError, TaskTimeout, WorkerDied, WorkerPool, usable_cores

# The extractor (crawler.page_work, crawler.parsing: a third of a second to import) is
# imported by the commands that use it, not at every start of `newsarchive`.


@cli.command()
@click.argument("pages", nargs=-1, type=click.Path())
@click.option("--url", help="The URL the page was fetched from (one page).")
@click.option("--from-jsonl", "from_jsonl", type=click.File("r", encoding="utf-8"),
              help='Pages to extract, one JSON a line: {"id", "path", "url"}.')
@click.option("--processes", type=click.IntRange(0), default=None,
              help="Extraction processes (default: one per core; 0: in this process).")
def extract(pages, url, from_jsonl, processes) -> None:
    """Extract records from saved pages (.gz read transparently), one JSON line each, in
    the order given; the pages are read and extracted in worker processes.

    Exits 1 if any page could not be read or parsed; its line carries an "error" field."""
    from crawler.page_work import saved_page

    jobs = [(p, url, None) for p in pages]
    if from_jsonl:
        for n, line in enumerate(from_jsonl, 1):
            if not line.strip():
                continue
            try:
                job = json.loads(line)
                jobs.append((job["path"], job.get("url"), job.get("id")))
            except (ValueError, KeyError, TypeError) as exc:
                jobs.append((None, None, f"line {n}"))
                click.echo(json.dumps({"id": f"line {n}", "error": f"bad job line: {exc}"}))
    if not jobs:
        raise click.UsageError("give PAGE paths or --from-jsonl FILE")
    failed = sum(1 for path, _, _ in jobs if path is None)
    work = [job for job in jobs if job[0] is not None]
    processes = usable_cores() if processes is None else processes
    # One page is quicker read here than a worker started for it.
    with WorkerPool(min(processes, len(work)) if len(work) > 1 else 0, preload=("crawler.page_work",)) as pool:
        for (path, page_url, case_id), future in pool.map_in_order(saved_page, work):
            try:
                result = future.result()
            except (WorkerDied, TaskTimeout, TaskError) as exc:
                result = {**({"id": case_id} if case_id is not None else {}), "path": path, "url": page_url,
                          "error": f"{type(exc).__name__}: {exc}"}
            failed += "error" in result
            click.echo(json.dumps(result, ensure_ascii=False))
    sys.exit(1 if failed else 0)


def recording_name(name: str) -> str:
    """A recording's directory name: one plain path component (no separators, not . or ..),
    so a recording is always written inside the fixtures folder."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\x00" in name:
        raise click.BadParameter(f"{name!r} is not a plain directory name (no / or .., e.g. article-2024-budget)",
                                 param_hint="--name")
    return name


@cli.command()
@click.argument("url")
@click.option("--name", help="Directory name for the recording (default: from the URL).")
@click.option("--fixtures", default="fixtures", show_default=True, type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Replace an existing recording of that name (its reviewed expected.json too).")
def record(url, name, fixtures, force) -> None:
    """Fetch URL live and save it as a recorded page under FIXTURES/<site>/<name>/, with
    the current extractor's record as expected.json for you to review by hand. An existing
    recording is never replaced without --force."""
    import urllib.request

    from crawler.normalize import site_of
    from crawler.page_work import MAX_PAGE_BYTES
    from crawler.parsing import Skip, extract_page
    from crawler.settings import USER_AGENT

    if name is not None:
        recording_name(name)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            body = response.read(MAX_PAGE_BYTES)
            status, headers, final_url = response.status, dict(response.headers.items()), response.geturl()
    except OSError as exc:
        raise click.ClickException(f"cannot fetch {url}: {exc}") from exc
    slug = name or "-".join(p for p in final_url.split("://", 1)[1].split("?")[0].split("/")[1:] if p).replace(".", "-")[:80] or "index"
    site = site_of(final_url)
    # fixtures/ecns/... for ecns.cn; a bare IP address keeps all its dots
    site_dir = site if site.replace(".", "").isdigit() else site.split(".")[0]
    directory = Path(fixtures) / recording_name(site_dir) / recording_name(slug)
    if directory.exists() and any(directory.iterdir()) and not force:
        raise click.ClickException(f"{directory} is already a recording (its expected.json may be reviewed by hand): "
                                   "choose another --name, or --force to replace it")
    directory.mkdir(parents=True, exist_ok=True)
    headers.pop("Content-Encoding", None)  # urllib hands over the decoded bytes
    (directory / "body.html").write_bytes(body)
    info = {"url": final_url, "status": status, "headers": headers,
            "recorded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "body": "body.html"}
    (directory / "info.json").write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    result = extract_page(final_url, body, headers)
    if isinstance(result, Skip):
        expected = {"kind": "skip", "reason": result.reason}
    else:
        expected = {"kind": "article", "record": {k: v for k, v in result.items() if k != "extraction"}}
    (directory / "expected.json").write_text(json.dumps(expected, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    click.echo(f"recorded {final_url} in {directory}; review {directory / 'expected.json'} against the page before committing")


@cli.command()
@click.option("--archive", "-d", "archive_path", default="archive.db", show_default=True,
              type=click.Path(dir_okay=False), envvar="NEWSARCHIVE_DB", help="The archive file.")
@click.option("--site", help="Only articles of this site (registered domain: ecns.cn).")
@click.option("--since", help="Only articles whose capture was fetched on or after this date or time (ISO 8601).")
@click.option("--captures", "search", multiple=True, type=click.Path(file_okay=False),
              help="Directory to look for WARC files in when they are not where the archive says (moved captures). Repeatable.")
@click.option("--lock-timeout", default=DEFAULT_LOCK_TIMEOUT, show_default=True, type=click.FloatRange(0),
              help="Seconds to wait while another program holds the archive's SQLite write lock.")
@click.option("--processes", type=click.IntRange(0), default=None,
              help="Extraction processes (default: one per core; 0: in this process).")
def reparse(archive_path, site, since, search, lock_timeout, processes) -> None:
    """Re-extract archived articles from their raw captures (WARC), offline, and update them.

    A changed text field (title, body, dates, source, authors, editor) keeps the old text as
    a revision; other fields are updated in place. Prints what changed, per field. Holds the
    archive's lock: it refuses to run while a crawl writes the archive. Exits 1 if any
    capture could not be read (the first line of the summary says how many)."""
    import sqlite3

    from archive.lock import check_writable, lock_archive
    from archive.store import Archive, ArchiveError
    from crawler.reparse import reparse as run_reparse
    from crawler.reparse import select_articles

    archive = None
    try:
        with lock_archive(archive_path, purpose="reparse"):
            check_writable(archive_path, timeout=lock_timeout)
            with Archive(archive_path, lock_timeout=lock_timeout) as archive:
                try:
                    rows = select_articles(archive, site=site, since=since)
                except ValueError as exc:
                    raise click.BadParameter(str(exc), param_hint="--since") from None
                with click.progressbar(rows, label="re-parsing", file=sys.stderr, show_pos=True) as bar:
                    summary = run_reparse(archive, bar, search=search,
                                          processes=usable_cores() if processes is None else processes)
    except sqlite3.Error as exc:
        raise click.ClickException(str(archive.error(exc) if archive else exc)) from None
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from None
    for line in summary.lines():
        click.echo(line)
    sys.exit(1 if summary.failed else 0)


@cli.command("import")
@click.argument("paths", nargs=-1, required=True)
@click.option("--archive", "-d", "archive_path", default="archive.db", show_default=True,
              type=click.Path(dir_okay=False), envvar="NEWSARCHIVE_DB", help="The archive file (created if missing).")
@click.option("--site", "sites", multiple=True, help="Only pages of this site (registered domain: ecns.cn). Repeatable.")
@click.option("--url-pattern", help="Only pages whose URL matches this regular expression (searched, not anchored).")
@click.option("--since", help="Only captures made on or after this date or time (ISO 8601, UTC if no offset).")
@click.option("--until", help="Only captures made before the end of this date (or up to this time).")
@click.option("--articles-only", is_flag=True, help="Skip the pages the page classifier calls listings (home, section, tag pages).")
@click.option("--copy", is_flag=True,
              help="Copy each article's record into the archive's capture directory (<archive>-warc/), for files that will go away.")
@click.option("--processes", type=click.IntRange(0), default=None,
              help="Extraction processes (default: one per core; 0: in this process).")
@click.option("--lock-timeout", default=DEFAULT_LOCK_TIMEOUT, show_default=True, type=click.FloatRange(0),
              help="Seconds to wait while another program holds the archive's SQLite write lock.")
def import_archives(paths, archive_path, sites, url_pattern, since, until, articles_only, copy, processes,
                    lock_timeout) -> None:
    """Import the news pages of web archive files: WARC (.warc, .warc.gz: CC-NEWS, Heritrix,
    wget, Browsertrix), WACZ (.wacz: Browsertrix, ArchiveWeb.page) and ARC (.arc, .arc.gz).
    PATHS are files, directories (searched for them) or glob patterns.

    Every HTML response is parsed as a crawled page is, then deduplicated and stored as it
    is parsed, the files oldest first: first_seen is the capture's date, a later capture
    with changed text a revision, an older one placed in the history by its date. The
    article rows point to the records in the files as they are (--copy: to
    copies in the archive's capture directory). Killed or interrupted, the same command
    resumes where it stopped; a file imported before adds nothing. Damaged records, non-HTML
    and oversized responses are counted and skipped. Exits 1 if a path could not be read."""
    import sqlite3

    from archive.identity import ArchiveError
    from archive.warc import WarcError
    from crawler.importing import FilterError, ImportFilters, run_import

    try:
        filters = ImportFilters.parse(sites, url_pattern, since, until, articles_only)
    except FilterError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        summary = run_import(paths, archive_path, filters=filters, copy=copy,
                             processes=usable_cores() if processes is None else processes, lock_timeout=lock_timeout)
    except (ArchiveError, WarcError) as exc:
        raise click.ClickException(str(exc)) from None
    except sqlite3.Error as exc:
        raise click.ClickException(f"archive {archive_path}: {exc}") from None
    except OSError as exc:  # writing --copy's captures: a full disk
        raise click.ClickException(f"{exc.filename or archive_path}: {exc.strerror or exc}") from None
    for line in summary.lines():
        click.echo(line)
    sys.exit(1 if summary.failed or summary.interrupted else 0)


@cli.command("check-captures")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
def check_captures(paths) -> None:
    """Read every record of WARC files (directories searched) and report the damaged byte
    ranges: offset, length and why, one line each. Damage costs only the records it hits:
    reading picks up at the next whole record. Exits 1 if any file is damaged."""
    from archive.warc import WarcError, scan, warc_files

    try:
        files = warc_files(paths)
    except WarcError as exc:
        raise click.ClickException(str(exc)) from exc
    damaged = 0
    for path in files:
        result = scan(path)
        damaged += not result.ok
        click.echo(("ok       " if result.ok else "DAMAGED  ") + result.summary())
        for damage in result.damaged:
            click.echo(f"         {damage.describe()}")
    click.echo(f"{len(files)} files, {damaged} damaged")
    sys.exit(1 if damaged else 0)


@cli.command(context_settings={"show_default": True})
@click.argument("spider")
@click.option("--archive", "-d", "archive_path", default="archive.db", type=click.Path(dir_okay=False),
              envvar="NEWSARCHIVE_DB", help="The archive file (created if missing).")
@click.option("--redis", "redis_url", required=True, envvar="NEWSARCHIVE_REDIS",
              help="Redis URL the workers share (redis://:PASSWORD@host:6379/0).")
@click.option("-a", "arguments", multiple=True, metavar="NAME=VALUE", help="A spider argument, as for scrapy crawl.")
@click.option("-s", "settings", multiple=True, metavar="NAME=VALUE", help="A setting, as for scrapy crawl.")
def coordinate(spider, archive_path, redis_url, arguments, settings) -> None:
    """Run SPIDER over many machines: this host keeps the archive and its one writer, the
    workers (`scrapy crawl SPIDER -s REDIS_URL=URL`, on any machine) fetch and extract. Ends
    when the shared queue is empty, no worker holds a request and every record is written;
    the workers then stop by themselves (README "Many machines").

    Exit status as a crawl's: 0 finished, 1 stopped by a storage or Redis failure, 2
    refused before starting (one line on stderr)."""
    import logging

    from scrapy.spiderloader import get_spider_loader
    from scrapy.utils.project import get_project_settings

    def pairs(values, option):
        out = {}
        for value in values:
            name, sep, text = value.partition("=")
            if not sep or not name:
                raise click.BadParameter(f"{value!r} is not NAME=VALUE", param_hint=option)
            out[name] = text
        return out

    spider_arguments = pairs(arguments, "-a")
    project = get_project_settings()
    project.setdict(pairs(settings, "-s"), priority="cmdline")
    project.set("ARCHIVE_PATH", archive_path, priority="cmdline")
    logging.basicConfig(level=project.get("LOG_LEVEL", "INFO"),
                        format="%(asctime)s [%(name)s] %(levelname)s: %(message)s")
    try:
        from crawler.distributed.coordinator import coordinate as run_coordinator
    except ImportError:
        raise click.ClickException("coordinate needs the distributed extra: pip install 'newsarchive[distributed]'") from None
    from crawler import checked_settings

    try:
        checked_settings.check_spider_arguments(get_spider_loader(project), spider, spider_arguments)
    except checked_settings.SettingError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    sys.exit(run_coordinator(project, spider, spider_arguments, archive_path, redis_url))


def main() -> None:
    cli(prog_name="newsarchive")
