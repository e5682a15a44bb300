"""moto's server, with DynamoDB's item operations made atomic, transactions backing up only their
items, Query reading one partition, and connections kept alive.

Atomic: moto runs a TransactWriteItems by applying its items one at a time and, when one fails its
condition, by putting back a copy of every table it touched taken before it started. The server is
threaded, so a transaction that fails restores a copy older than a write that committed meanwhile:
that write (an order, a stock decrement) silently disappears, and a concurrent reader can see half a
transaction. DynamoDB does neither. One lock around the item operations makes the emulator's
transactions all-or-nothing and isolated, as the code under test relies on; requests on other
services, and table administration, still run concurrently.

Only their items: to roll a transaction back, moto deep-copies every table it touches before it
starts, so each transaction cost grew with the whole table (a third of moto's busy time under the
test suite, in a profile). The backup below copies the table's index of items, sharing the items,
and deep-copies only the items the transaction names, the only ones it can change.

One partition: moto answers a Query on a table's key by walking and sorting every item of the
table, so each Query cost grew with the whole table (seconds at 50,000 products) where DynamoDB
reads only the partition asked for. The Query below shows moto's own code that one partition.

Kept alive: moto's own server is werkzeug's development server, which closes the connection after
every response, so every SDK call paid a TCP connect and close that AWS, which keeps connections
open, does not charge (it was a third of a catalogue catch-up's CPU in a profile). waitress serves
the same WSGI application with HTTP/1.1 keep-alive. Like werkzeug, it drops request headers with an
underscore in their names; moto's own server kept those for S3 metadata, which nothing here uses.

Usage: python tools/moto_server.py -H 127.0.0.1 -p PORT
"""

import argparse
import copy
import functools
import inspect
import logging
import os
import threading
from collections import defaultdict

import moto.dynamodb.models
import waitress
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

# The items the running transaction names, by table; absent for a table where one is unreadable.
_NAMED = threading.local()


def _named_items(backend, transact_items):
    named = {}
    unreadable = set()
    for entry in transact_items:
        for op_type, op in entry.items():
            table = backend.tables.get(op.get("TableName") if isinstance(op, dict) else None)
            if table is None:
                continue
            try:
                key = op["Item"] if op_type == "Put" else op["Key"]
                named.setdefault(table.name, set()).add(backend.get_keys_value(table, key))
            except Exception:
                unreadable.add(table.name)  # moto's own code refuses it; back the table up whole
    return {name: keys for name, keys in named.items() if name not in unreadable}


def _table_backup(table):
    """A copy of `table` for a rollback: its own index of items, sharing every item but those the
    running transaction names, which are deep copies (an Update changes its item in place)."""
    named = getattr(_NAMED, "items", {}).get(table.name)
    if named is None:
        return copy.deepcopy(table)
    backup = copy.copy(table)
    if table.range_key_attr:
        backup.items = defaultdict(dict, {h: dict(p) for h, p in table.items.items()})
        for hash_key, range_key in named:
            if range_key in table.items.get(hash_key, {}):
                backup.items[hash_key][range_key] = copy.deepcopy(table.items[hash_key][range_key])
    else:
        backup.items = defaultdict(dict, table.items)
        for hash_key, _ in named:
            if hash_key in table.items:
                backup.items[hash_key] = copy.deepcopy(table.items[hash_key])
    return backup


class _TableBackupCopy:
    """`copy` as moto.dynamodb.models sees it: there, a Table is deep-copied only as a transaction's
    backup (an Item, also copied there, is copied as before)."""

    @staticmethod
    def deepcopy(value, memo=None):
        if isinstance(value, Table):
            return _table_backup(value)
        return copy.deepcopy(value, memo)


moto.dynamodb.models.copy = _TableBackupCopy
_transact_copying_tables = DynamoDBBackend.transact_write_items


@functools.wraps(_transact_copying_tables)
def _transact_copying_items(self, transact_items, *args, **kwargs):
    _NAMED.items = _named_items(self, transact_items)
    try:
        return _transact_copying_tables(self, transact_items, *args, **kwargs)
    finally:
        _NAMED.items = {}


DynamoDBBackend.transact_write_items = _transact_copying_items

_LOCK = threading.RLock()

for _name in (
    "get_item",
    "put_item",
    "update_item",
    "delete_item",
    "query",
    "scan",
    "transact_write_items",
):
    _method = getattr(DynamoDBBackend, _name)

    @functools.wraps(_method)
    def _locked(self, *args, __method=_method, **kwargs):
        with _LOCK:
            return __method(self, *args, **kwargs)

    setattr(DynamoDBBackend, _name, _locked)

_query_every_item = Table.query
_QUERY_SIGNATURE = inspect.signature(_query_every_item)


@functools.wraps(_query_every_item)
def _query_one_partition(self, hash_key, *args, **kwargs):
    called = _QUERY_SIGNATURE.bind(self, hash_key, *args, **kwargs).arguments
    if called.get("index_name") is not None or not self.range_key_attr:
        return _query_every_item(self, hash_key, *args, **kwargs)
    # Safe under _LOCK, which every item operation (this Query too) holds: no write can run while
    # the table shows only this partition (only describe_table's item count could see it).
    every_partition = self.items
    self.items = {hash_key: every_partition[hash_key]} if hash_key in every_partition else {}
    try:
        return _query_every_item(self, hash_key, *args, **kwargs)
    finally:
        self.items = every_partition


Table.query = _query_one_partition


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args()
    # moto builds some URLs (SQS queue URLs, presigned S3 links) from this.
    os.environ.setdefault("MOTO_PORT", str(args.port))
    # Under the parallel test suite requests queue behind the lock above, as intended; waitress
    # would warn about every queued one.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    waitress.serve(
        DomainDispatcherApplication(create_backend_app),
        host=args.host,
        port=args.port,
        # Long polls (devpoll's SQS receives wait up to 10 s) hold a thread each; the parallel test
        # suite opens many clients, each with its own pool of kept-alive connections.
        threads=32,
        connection_limit=1000,
        ident="moto",
    )


if __name__ == "__main__":
    main()
