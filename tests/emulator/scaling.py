"""moto's two costs that grow with the whole table, made to grow with what a request touches.

- TransactWriteItems: moto backs a transaction up by deep-copying each table it touches
  (items and stream records included) and, when it is cancelled, puts the copy in the
  table's place. So each transaction cost time and memory in proportion to the table (a
  load of a few thousand webhooks took minutes and gigabytes), and a stream reader's
  iterator was left on the replaced table. Here moto's own transaction logic
  (conditions, cancellation reasons, validation) is kept and only the backup replaced:
  before the transaction, a copy of each item it names and the length of each table's
  stream; on failure, those items put back and the records it appended dropped.
- Query on the table's key: moto sorts every item of the table and then keeps those of
  the asked partition. Here it is given only that partition's items; its own sorting,
  conditions, paging and projection run on them unchanged. (Queries on an index still
  read every item: DynamoDB keeps no such partition in moto.)

The server applies one request at a time (dynamodb_server.py), so nothing else can run
between a backup and its restore, or see a query's narrowed view.
"""

import copy
import inspect
from typing import Any

import moto.dynamodb.models as backend_module
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table


class _CopyAllButTables:
    """Stands in for the `copy` module inside moto's backend: a table "copy" is the table."""

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        if isinstance(value, Table):
            return value
        return copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def _slot(table: Table, op_type: str, op: dict[str, Any]):
    """The (hash, range) an operation writes, or None when the operation names none."""
    key = op.get("Item") if op_type == "Put" else op.get("Key")
    if not isinstance(key, dict) or table.hash_key_attr not in key:
        return None
    hash_value = DynamoType(key[table.hash_key_attr])
    if table.range_key_attr is None:
        return hash_value, None
    if table.range_key_attr not in key:
        return None
    return hash_value, DynamoType(key[table.range_key_attr])


def _read(table: Table, hash_value, range_value):
    if range_value is None:
        return table.items.get(hash_value)
    partition = table.items.get(hash_value)
    return None if partition is None else partition.get(range_value)


def _write(table: Table, hash_value, range_value, item) -> None:
    if range_value is None:
        if item is None:
            table.items.pop(hash_value, None)
        else:
            table.items[hash_value] = item
        return
    partition = table.items[hash_value]
    if item is None:
        partition.pop(range_value, None)
        if not partition:
            table.items.pop(hash_value, None)
    else:
        partition[range_value] = item


class _Backup:
    """What a transaction may change: its items as they were, and each stream's length."""

    def __init__(self, backend: DynamoDBBackend, transact_items: list[dict[str, Any]]):
        self.items: list[tuple[Table, Any, Any, Any]] = []
        self.streams: dict[int, tuple[Table, int]] = {}
        for entry in transact_items:
            if not isinstance(entry, dict) or len(entry) != 1:
                continue
            op_type, op = next(iter(entry.items()))
            table = backend.tables.get(op.get("TableName")) if isinstance(op, dict) else None
            if table is None:
                continue
            if table.stream_shard is not None and id(table) not in self.streams:
                self.streams[id(table)] = (table, len(table.stream_shard.items))
            slot = _slot(table, op_type, op)
            if slot is not None:
                before = _read(table, *slot)
                self.items.append((table, *slot, copy.deepcopy(before)))

    def restore(self) -> None:
        # In reverse, so an item named twice ends as it was before the first.
        for table, hash_value, range_value, item in reversed(self.items):
            _write(table, hash_value, range_value, item)
        for table, length in self.streams.values():
            del table.stream_shard.items[length:]


def install() -> None:
    """Installs both, once."""
    if getattr(DynamoDBBackend.transact_write_items, "_item_level_backup", False):
        return
    _install_item_level_backup()
    _install_partition_query()


def _install_item_level_backup() -> None:
    backend_module.copy = _CopyAllButTables()
    moto_transaction = DynamoDBBackend.transact_write_items

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        backup = _Backup(self, transact_items)
        try:
            moto_transaction(self, transact_items)
        except Exception:
            backup.restore()
            raise

    transact_write_items._item_level_backup = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def _install_partition_query() -> None:
    moto_query = Table.query
    moto_all_items = Table.all_items
    query_signature = inspect.signature(moto_query)

    def all_items(self: Table) -> list[Any]:
        partition = getattr(self, "_query_partition", None)
        if partition is None:
            return moto_all_items(self)
        return list(partition.values()) if self.range_key_attr else [partition]

    def query(self: Table, *args: Any, **kwargs: Any) -> Any:
        asked = query_signature.bind(self, *args, **kwargs).arguments
        hash_key = asked.get("hash_key")
        if asked.get("index_name") or hash_key is None:
            return moto_query(self, *args, **kwargs)
        # .get: the table's item map is a defaultdict, which a lookup would grow.
        partition = self.items.get(hash_key)
        self._query_partition = partition if partition is not None else {}
        try:
            return moto_query(self, *args, **kwargs)
        finally:
            self._query_partition = None

    Table.all_items = all_items  # type: ignore[method-assign]
    Table.query = query  # type: ignore[method-assign]
