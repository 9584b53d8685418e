"""What a department's sources may reach (R22): its own drop folder and the hosts the deployment lists.

A source is configured by a department's data resource administrator, and whatever it reads is
ingested under that department's name. So every read goes through one ``Reach``:

* files and SQLite databases only inside ``<drop root>/<department code>/``, paths resolved with
  their symbolic links, never the platform's own database, warehouse or data folder (a hard link to
  them is caught by comparing the files themselves), SQLite opened read-only;
* database and HTTP hosts only when the deployment lists them (``EXCHANGE_SOURCE_HOSTS``); loopback,
  link-local and other special addresses only when listed as addresses, so a listed name that
  resolves to 127.0.0.1 is still refused; the platform's own services never. The address checked is
  the address connected to (pinned), so a name cannot resolve differently between check and use.

Refusals say what was refused and which setting governs it; they never say whether a path outside
the drop folder exists.
"""

import ipaddress
import os
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePath
from urllib.parse import urlsplit

from sqlalchemy import make_url

from exchange.errors import InvalidInput
from exchange.settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
DEFAULT_PORTS = {"http": 80, "https": 443, "postgresql": 5432, "mysql": 3306, "mssql": 1433}
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


class SourceRefused(InvalidInput):
    """A source names something outside what its department may reach."""

    code = "source_refused"


@dataclass(frozen=True)
class HostRule:
    """One entry of ``EXCHANGE_SOURCE_HOSTS``: a host name or a network, with an optional port."""

    name: str | None
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None
    port: int | None

    @classmethod
    def parse(cls, entry: str) -> "HostRule":
        text = entry.strip().lower()
        port: int | None = None
        if text.startswith("["):  # [v6] or [v6]:port
            host, _, rest = text[1:].partition("]")
            port = int(rest[1:]) if rest.startswith(":") else None
        elif text.count(":") == 1:
            host, _, port_text = text.partition(":")
            port = int(port_text)
        else:
            host = text
        try:
            return cls(None, ipaddress.ip_network(host, strict=False), port)
        except ValueError:
            return cls(host, None, port)

    def admits_port(self, port: int) -> bool:
        return self.port is None or self.port == port


def _special(address: IPAddress) -> bool:
    """Addresses a listed name must not lead to: this machine, its links, and reserved ranges."""
    return (
        address.is_loopback
        or address.is_link_local
        or address.is_unspecified
        or address.is_multicast
        or address.is_reserved
    )


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise SourceRefused(
            "the host {host} could not be resolved", detail={"host": host}, host=host
        ) from error
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def _endpoint(url: str | None, default_port: int) -> tuple[str, int] | None:
    if not url:
        return None
    parts = urlsplit(url if "//" in url else f"//{url}")
    if not parts.hostname:
        return None
    return parts.hostname, parts.port or default_port


def own_endpoints(settings: Settings) -> list[tuple[str, int]]:
    """The platform's own services: its database server, object storage, mail server and API."""
    database = make_url(settings.resolved_database_url)
    found = [
        _endpoint(settings.s3_endpoint, 443),
        _endpoint(settings.public_base_url, 80),
        (settings.api_host, settings.api_port),
    ]
    if database.host:
        found.append((database.host, database.port or DEFAULT_PORTS.get(database.drivername, 5432)))
    if settings.smtp_host:
        found.append((settings.smtp_host, settings.smtp_port))
    return [endpoint for endpoint in found if endpoint is not None]


def own_paths(settings: Settings) -> list[Path]:
    """The platform's own files: its database and warehouse (the data folder is checked apart)."""
    paths = [settings.resolved_warehouse_path]
    database = make_url(settings.resolved_database_url)
    if database.get_backend_name() == "sqlite" and database.database:
        paths.extend(Path(database.database + suffix) for suffix in SQLITE_COMPANIONS)
    return [path.resolve() for path in paths]


def _overlaps(path: Path, other: Path) -> bool:
    return path == other or path.is_relative_to(other) or other.is_relative_to(path)


@dataclass(frozen=True)
class Reach:
    """What one department's sources may read. Built per read from the settings (cheap)."""

    department_code: str
    drop_root: Path
    data_dir: Path
    host_rules: tuple[HostRule, ...]
    own_endpoints: tuple[tuple[str, int], ...]
    own_paths: tuple[Path, ...]

    @classmethod
    def of(cls, settings: Settings, department_code: str) -> "Reach":
        if not re.fullmatch(r"[0-9A-Za-z_-]+", department_code):
            raise SourceRefused(
                "department code {department_code!r} cannot name a drop folder",
                department_code=department_code,
            )
        return cls(
            department_code,
            (settings.resolved_drop_root / department_code).resolve(),
            settings.data_dir.resolve(),
            tuple(HostRule.parse(entry) for entry in settings.source_hosts if entry.strip()),
            tuple(own_endpoints(settings)),
            tuple(own_paths(settings)),
        )

    # Files ----------------------------------------------------------------------------------

    def _inside(self, path: Path, given: str) -> Path:
        """``path`` resolved, if it lies inside the drop root and is none of the platform's files."""
        resolved = path.resolve()
        if not (resolved == self.drop_root or resolved.is_relative_to(self.drop_root)):
            raise SourceRefused(
                "{given} is outside your department's drop folder: sources read only files under the drop folder of department {department_code}",
                detail={"path": given},
                given=given,
                department_code=self.department_code,
            )
        # The drop root usually lies in the data folder; when it does not, nothing of the data
        # folder may be reached through it (a drop root set to a parent of the data folder).
        data_dir_reached = _overlaps(resolved, self.data_dir) and not self.drop_root.is_relative_to(
            self.data_dir
        )
        if data_dir_reached or any(_overlaps(resolved, own) for own in self.own_paths):
            raise SourceRefused(
                "{given} is one of the platform's own files and is never a source",
                detail={"path": given},
                given=given,
            )
        return resolved

    def _relative(self, given: str, what: str) -> Path:
        if not given or PurePath(given).is_absolute() or given.startswith("~"):
            raise SourceRefused(
                "give the {what} relative to your department's drop folder, not {given!r}",
                detail={"path": given},
                what=what,
                given=given,
            )
        return self._inside(self.drop_root / given, given)

    def folder(self, given: str) -> Path:
        """The drop folder a file source names (``""`` or ``"."`` for the drop root itself)."""
        folder = self._relative(given or ".", "folder")
        if not folder.is_dir():
            raise SourceRefused("there is no folder {given!r} in your drop folder", given=given)
        return folder

    def files(self, folder: Path, pattern: str) -> list[Path]:
        """Files matching ``pattern`` in ``folder``, each checked again once resolved."""
        if PurePath(pattern).is_absolute() or ".." in PurePath(pattern).parts:
            raise SourceRefused(
                "the file pattern {pattern!r} must stay inside the folder", pattern=pattern
            )
        own_files = self._own_file_ids()
        found = []
        for path in sorted(folder.glob(pattern)):
            relative = path.relative_to(folder).as_posix()
            resolved = self._inside(path, relative)
            if resolved.is_file() and _file_id(resolved) in own_files:
                raise SourceRefused(
                    "{relative} is one of the platform's own files", relative=relative
                )
            found.append(resolved)
        return found

    def sqlite_file(self, given: str) -> Path:
        """The SQLite file a database source names: inside the drop folder, an existing file."""
        path = self._relative(given, "database file")
        if not path.is_file():
            raise SourceRefused(
                "there is no database file {given!r} in your drop folder", given=given
            )
        if _file_id(path) in self._own_file_ids():
            raise SourceRefused(
                "{given} is one of the platform's own files and is never a source", given=given
            )
        return path

    def _own_file_ids(self) -> set[tuple[int, int]]:
        return {_file_id(path) for path in self.own_paths if path.is_file()}

    # Hosts ----------------------------------------------------------------------------------

    def address(self, host: str, port: int) -> str:
        """The address to connect to for ``host:port``, if the deployment allows it; else refused."""
        host = host.strip("[]").lower()
        # One of the platform's services named as configured is refused without a lookup.
        addresses = [] if (host, port) in self.own_endpoints else _resolve(host, port)
        if not addresses or any(self._is_own(address, port) for address in addresses):
            raise SourceRefused(
                "{host}:{port} is one of the platform's own services and is never a source",
                detail={"host": host, "port": port},
                host=host,
                port=port,
            )
        name_listed = any(r.name == host and r.admits_port(port) for r in self.host_rules)
        for address in addresses:
            listed = any(
                r.network is not None and address in r.network and r.admits_port(port)
                for r in self.host_rules
            )
            if not (listed or (name_listed and not _special(address))):
                raise SourceRefused(
                    "{host}:{port} is not among the hosts sources may reach; the platform's operator lists them in EXCHANGE_SOURCE_HOSTS",
                    detail={"host": host, "port": port},
                    host=host,
                    port=port,
                )
        return str(addresses[0])

    @cached_property
    def _own_addresses(self) -> frozenset[tuple[IPAddress, int]]:
        """The platform's own services by address, resolved once per ``Reach`` (once per read)."""
        return frozenset(_addresses_of(self.own_endpoints))

    def _is_own(self, address: IPAddress, port: int) -> bool:
        return any(
            own_port == port and (own_address == address or own_address.is_unspecified)
            for own_address, own_port in self._own_addresses
        )


def _file_id(path: Path) -> tuple[int, int]:
    status = os.stat(path)
    return status.st_dev, status.st_ino


def _resolve_quietly(host: str, port: int) -> list[IPAddress]:
    try:
        return _resolve(host, port)
    except SourceRefused:
        return []


def _addresses_of(endpoints: Iterable[tuple[str, int]]) -> list[tuple[IPAddress, int]]:
    return [(address, port) for host, port in endpoints for address in _resolve_quietly(host, port)]
