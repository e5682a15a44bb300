"""moto's server, with DynamoDB's item operations made atomic, Query reading one partition, and
connections kept alive.

Atomic: moto runs a TransactWriteItems by applying its items one at a time and, when one fails its
condition, by putting back a copy of every table it touched taken before it started. The server is
threaded, so a transaction that fails restores a copy older than a write that committed meanwhile:
that write (an order, a stock decrement) silently disappears, and a concurrent reader can see half a
transaction. DynamoDB does neither. One lock around the item operations makes the emulator's
transactions all-or-nothing and isolated, as the code under test relies on; requests on other
services, and table administration, still run concurrently.

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
import functools
import inspect
import logging
import os
import threading

import waitress
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

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
