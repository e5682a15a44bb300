"""moto's server with DynamoDB's item operations made atomic with respect to one another.

moto runs a TransactWriteItems by applying its items one at a time and, when one fails its
condition, by putting back a copy of every table it touched taken before it started. The server is
threaded, so a transaction that fails restores a copy older than a write that committed meanwhile:
that write (an order, a stock decrement) silently disappears, and a concurrent reader can see half a
transaction. DynamoDB does neither. One lock around the item operations makes the emulator's
transactions all-or-nothing and isolated, as the code under test relies on; requests on other
services, and table administration, still run concurrently.

Usage: python tools/moto_server.py -H 127.0.0.1 -p PORT (the same arguments as moto_server).
"""

import functools
import sys
import threading

from moto.dynamodb.models import DynamoDBBackend
from moto.server import main

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

if __name__ == "__main__":
    sys.exit(main())
