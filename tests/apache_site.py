"""A local copy of the results site: Debian's Apache httpd serving a folder with mod_autoindex.

Used by the fetch tests and bench/fetch_latency.py. The server is this process's child
(``apache2 -DFOREGROUND``, stopped by its pid), listens on 127.0.0.1 on a free port, and keeps its
configuration, logs and document root in one temporary folder. Started as root, Apache runs its
workers as ``nobody``: the folder is made readable to all for that.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

APACHE2 = Path("/usr/sbin/apache2")
MODULES = Path("/usr/lib/apache2/modules")

CONFIG = """\
ServerRoot "{root}"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile "{root}/httpd.pid"
DefaultRuntimeDir "{root}"
ErrorLog "{root}/error.log"
LogLevel warn
{user}
LoadModule mpm_event_module {modules}/mod_mpm_event.so
LoadModule authz_core_module {modules}/mod_authz_core.so
LoadModule autoindex_module {modules}/mod_autoindex.so
LoadModule dir_module {modules}/mod_dir.so
LoadModule mime_module {modules}/mod_mime.so
LoadModule alias_module {modules}/mod_alias.so
<IfModule !log_config_module>
  LoadModule log_config_module {modules}/mod_log_config.so
</IfModule>
TypesConfig /dev/null
# Small: one process, a few threads (the machine is shared).
StartServers 1
ServerLimit 1
ThreadsPerChild 4
MaxRequestWorkers 4
ThreadLimit 4
MinSpareThreads 1
MaxSpareThreads 4
LogFormat "%r %>s %b" short
CustomLog "{root}/access.log" short
DocumentRoot "{root}/htdocs"
<Directory "{root}/htdocs">
  Options +Indexes
  # As on the results site: a table of name, last modified (to the minute), size (rounded).
  IndexOptions FancyIndexing HTMLTable VersionSort NameWidth=*
  Require all granted
</Directory>
{extra}
"""


def available() -> str | None:
    """None when Apache can run here, else why not."""
    if not APACHE2.exists():
        return f"{APACHE2} is missing (make test installs the Debian package apache2)"
    if not (MODULES / "mod_autoindex.so").exists():
        return f"{MODULES}/mod_autoindex.so is missing"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ApacheSite:
    """`docroot/Results/` is what the site serves under /Results/; `url` is its root."""

    def __init__(self, extra_config: str = "") -> None:
        self.root = Path(tempfile.mkdtemp(prefix="pitwall-apache-"))
        os.chmod(self.root, 0o755)  # the workers (nobody, when started as root) read under it
        self.htdocs = self.root / "htdocs"
        self.results = self.htdocs / "Results"
        self.results.mkdir(parents=True)
        self.extra_config = extra_config
        self.port = 0
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/Results/"

    def publish(self, src: Path, rel: str | None = None) -> Path:
        """Copy a file or a tree into the site (under Results/, at `rel` or its own name), readable to all."""
        target = self.results / (rel if rel is not None else src.name)
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, target, dirs_exist_ok=True)
        else:
            shutil.copyfile(src, target)
        self.open_up()
        return target

    def open_up(self) -> None:
        for dirpath, _dirnames, filenames in os.walk(self.htdocs):
            os.chmod(dirpath, 0o755)
            for name in filenames:
                path = os.path.join(dirpath, name)
                if os.stat(path).st_mode & 0o777 != 0:  # a file made unreadable on purpose stays so
                    os.chmod(path, 0o644)

    def start(self, timeout: float = 15.0) -> ApacheSite:
        if self.process is not None and self.process.poll() is None:
            return self  # started already (`with site.start():` must not start a second server)
        why = available()
        if why:
            raise RuntimeError(why)
        self.open_up()
        user = ""
        if os.geteuid() == 0:  # Apache will not serve as root: its workers become nobody
            nobody = pwd.getpwnam("nobody")
            user = f"User nobody\nGroup {grp.getgrgid(nobody.pw_gid).gr_name}"
        for _ in range(5):
            self.port = free_port()
            (self.root / "httpd.conf").write_text(
                CONFIG.format(root=self.root, port=self.port, user=user, modules=MODULES, extra=self.extra_config)
            )
            self.process = subprocess.Popen(
                [str(APACHE2), "-f", str(self.root / "httpd.conf"), "-DFOREGROUND"],
                stdout=subprocess.DEVNULL,
                stderr=open(self.root / "stderr.log", "ab"),
            )
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.process.poll() is None:
                try:
                    if httpx.get(self.url, timeout=1.0, trust_env=False).status_code == 200:
                        return self
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
            self.stop()
            if "in use" not in self.log():
                break  # a bad configuration: another port will not help
            # the port was taken between free_port() and Apache's bind: another one
        raise RuntimeError(f"apache2 did not start: {self.log()}")

    def log(self) -> str:
        text = ""
        for name in ("stderr.log", "error.log"):
            path = self.root / name
            if path.exists():
                text += path.read_text(errors="replace")[-2000:]
        return text

    def requests(self) -> list[str]:
        """The access log's request lines and statuses ('GET /Results/ HTTP/1.1 200 1234')."""
        path = self.root / "access.log"
        return path.read_text().splitlines() if path.exists() else []

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # SIGTERM to the parent: Apache stops its own children
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> ApacheSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
