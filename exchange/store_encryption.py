"""Sensitive items encrypted at rest in the warehouse (R21): Parquet modular encryption.

Each resource with sensitive items has its own 256-bit key, kept in its Iceberg table's
properties wrapped by the warehouse's root keys (exchange.warehouse_keys). The Parquet writer
encrypts its data files, columns and footer, with data keys that it wraps with the resource key
(pyarrow's envelope encryption), so a data file read with plain pyarrow, without the platform, is
refused. Rotating the root keys re-wraps the resource keys in the table properties only: the data
files and the keys inside them stay as they are.

pyiceberg 0.12 writes and reads Parquet itself with no setting for encryption, so :func:`install`
wraps the two functions that make its Parquet writer options and its Parquet reader; it checks
they are there, and the tests read encrypted files back through the store.
"""

import base64
import os
import threading
import weakref
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

from exchange.settings import Settings
from exchange.warehouse_keys import KeyUnavailable, RootKeys, root_keys

if TYPE_CHECKING:
    import pyarrow.dataset as ds
    import pyarrow.parquet.encryption as pe
    from pyiceberg.catalog import Catalog
    from pyiceberg.table import Table

ENCRYPTED_COLUMNS = "exchange.encryption.columns"
KEY_ID = "exchange.encryption.key-id"  # the master key identifier the data files name
WRAPPED_KEY = "exchange.encryption.key"  # the resource key, wrapped by a root key
# Iceberg keeps per-column minimums and maximums in its manifests; for a sensitive column they
# would be its values in clear, so none are kept.
NO_METRICS = "none"


def metrics_property(column: str) -> str:
    return f"write.metadata.metrics.column.{column}"


class _Warehouses:
    """The catalogs and root keys of the warehouses this process uses, by root key identity:
    pyarrow asks for a key by the identifier written in a data file, nothing more."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Weakly: a store's catalog holds database connections, which must close with it. While
        # a file is read or written, the store doing it keeps its catalog alive.
        self._known: dict[str, tuple[RootKeys, weakref.WeakSet[Catalog]]] = {}
        self._resource_keys: dict[str, bytes] = {}

    def register(self, keys: RootKeys, catalog: "Catalog") -> None:
        with self._lock:
            known = self._known.setdefault(keys.identity, (keys, weakref.WeakSet()))
            known[1].add(catalog)

    def resource_key(self, key_id: str) -> bytes:
        """The resource key a master key identifier (``<root identity>/<table>``) names."""
        with self._lock:
            cached = self._resource_keys.get(key_id)
        if cached is not None:
            return cached
        identity, _, table_identifier = key_id.partition("/")
        if identity not in self._known:
            raise KeyUnavailable(
                "no key file of this platform has the identity {identity}", identity=identity
            )
        keys, catalogs = self._known[identity]
        catalog = next(iter(list(catalogs)), None)
        if catalog is None:
            raise KeyUnavailable(
                "no key file of this platform has the identity {identity}", identity=identity
            )
        wrapped = catalog.load_table(table_identifier).properties.get(WRAPPED_KEY)
        if wrapped is None:
            raise KeyUnavailable("table {table} has no data key", table=table_identifier)
        key = keys.unwrap(wrapped, table_identifier)
        with self._lock:
            self._resource_keys[key_id] = key
        return key

    def forget(self) -> None:
        with self._lock:
            self._resource_keys.clear()


_warehouses = _Warehouses()


def register(settings: Settings, catalog: "Catalog") -> None:
    install()
    _warehouses.register(root_keys(settings), catalog)


def prepare(settings: Settings, table: "Table", sensitive: Iterable[str]) -> "Table":
    """Make ``table``'s next data files encrypt the ``sensitive`` columns (and name none, if none
    are), creating the resource's key on its first sensitive column; the table as it now is."""
    columns = ",".join(sorted(set(sensitive)))
    properties = table.properties
    if properties.get(ENCRYPTED_COLUMNS, "") == columns:
        return table
    updates: dict[str, str] = {ENCRYPTED_COLUMNS: columns}
    if columns and WRAPPED_KEY not in properties:
        keys = root_keys(settings)
        identifier = ".".join(table.name())
        updates[WRAPPED_KEY] = keys.wrap(os.urandom(32), identifier)
        updates[KEY_ID] = f"{keys.identity}/{identifier}"
    updates |= {metrics_property(column): NO_METRICS for column in columns.split(",") if column}
    with table.transaction() as transaction:
        transaction.set_properties(updates)
    return table.refresh()


def rotate(settings: Settings, catalog: "Catalog", namespace: str) -> tuple[int, int]:
    """A new root key, and every resource key re-wrapped with it: (its number, tables re-wrapped).
    A crash part-way leaves some keys wrapped by the old root key, which the key file keeps."""
    keys = root_keys(settings)
    number = keys.rotate()
    rewrapped = 0
    for identifier in catalog.list_tables(namespace):
        table = catalog.load_table(identifier)
        wrapped = table.properties.get(WRAPPED_KEY)
        if wrapped is None:
            continue
        name = ".".join(table.name())
        key = keys.unwrap(wrapped, name)
        with table.transaction() as transaction:
            transaction.set_properties({WRAPPED_KEY: keys.wrap(key, name)})
        rewrapped += 1
    forget_keys()
    return number, rewrapped


def forget_keys() -> None:
    """Drop the keys this process holds in memory: the next read unwraps them again from the
    key file (after a rotation, or when the key file was replaced)."""
    _warehouses.forget()
    _crypto()[0].remove_cache_entries_for_all_tokens()


# pyarrow's side: a KMS client that wraps the data files' keys with resource keys.


def _kms_client(_config: "pe.KmsConnectionConfig") -> "pe.KmsClient":
    import pyarrow.parquet.encryption as pe
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    class ResourceKeys(pe.KmsClient):  # type: ignore[misc]
        def wrap_key(self, key_bytes: bytes, master_key_identifier: str) -> str:
            nonce = os.urandom(12)
            sealed = AESGCM(_warehouses.resource_key(master_key_identifier)).encrypt(
                nonce, key_bytes, master_key_identifier.encode("utf-8")
            )
            return base64.b64encode(nonce + sealed).decode("ascii")

        def unwrap_key(self, wrapped_key: str, master_key_identifier: str) -> bytes:
            raw = base64.b64decode(wrapped_key)
            return AESGCM(_warehouses.resource_key(master_key_identifier)).decrypt(
                raw[:12], raw[12:], master_key_identifier.encode("utf-8")
            )

    return ResourceKeys()


@cache
def _crypto() -> "tuple[pe.CryptoFactory, pe.KmsConnectionConfig]":
    import pyarrow.parquet.encryption as pe

    return pe.CryptoFactory(_kms_client), pe.KmsConnectionConfig()


@cache
def _decryption() -> "ds.ParquetDecryptionConfig":
    import pyarrow.dataset as ds
    import pyarrow.parquet.encryption as pe

    factory, connection = _crypto()
    return ds.ParquetDecryptionConfig(factory, connection, pe.DecryptionConfiguration())


def _encryption(properties: dict[str, str]) -> "pe.FileEncryptionProperties | None":
    import pyarrow.parquet.encryption as pe

    columns = [c for c in properties.get(ENCRYPTED_COLUMNS, "").split(",") if c]
    if not columns:
        return None
    # Every column and the footer under the resource's key: a column under a key of its own
    # would leave its metadata sealed from the writer, whose statistics pyiceberg reads.
    factory, connection = _crypto()
    return factory.file_encryption_properties(
        connection,
        pe.EncryptionConfiguration(footer_key=properties[KEY_ID], uniform_encryption=True),
    )


@cache
def install() -> None:
    """Wrap pyiceberg's Parquet writer options and Parquet reader (once per process)."""
    import pyiceberg.io.pyarrow as iceberg_arrow
    from pyiceberg.manifest import FileFormat

    writer_options = iceberg_arrow._get_parquet_writer_kwargs
    reader = iceberg_arrow._get_file_format

    def writer_options_encrypting(table_properties: dict[str, str]) -> dict[str, Any]:
        options = writer_options(table_properties)
        encryption = _encryption(table_properties)
        if encryption is not None:
            options["encryption_properties"] = encryption
        return options

    def reader_decrypting(file_format: FileFormat, **options: Any) -> "ds.FileFormat":
        if file_format == FileFormat.PARQUET:
            options.setdefault("decryption_config", _decryption())
        return reader(file_format, **options)

    iceberg_arrow._get_parquet_writer_kwargs = writer_options_encrypting
    iceberg_arrow._get_file_format = reader_decrypting  # type: ignore[assignment]
