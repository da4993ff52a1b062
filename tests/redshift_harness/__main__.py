"""python -m redshift_harness serve …: runs the wire-protocol proxy in its own process.

    python -m redshift_harness serve --port 5439 --upstream-port 5432 --log statements.jsonl \
        --s3-endpoint http://127.0.0.1:5000

AWS credentials for the (local) S3 endpoint come from the usual AWS environment variables.
Prints "ready" on stdout once it accepts connections.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import boto3

from redshift_harness.proxy import Proxy, StatementLog, serve


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m redshift_harness")
    sub = parser.add_subparsers(dest="command", required=True)
    serve_parser = sub.add_parser("serve", help="run the Redshift wire-protocol proxy")
    serve_parser.add_argument("--port", type=int, required=True)
    serve_parser.add_argument("--upstream-port", type=int, required=True)
    serve_parser.add_argument("--log", type=Path, required=True)
    serve_parser.add_argument("--s3-endpoint", required=True)
    args = parser.parse_args()

    session = boto3.session.Session()

    def s3_client():
        return session.client("s3", endpoint_url=args.s3_endpoint)

    proxy = Proxy(args.upstream_port, StatementLog(args.log), s3_client)
    asyncio.run(serve(args.port, proxy, ready=lambda: print("ready", flush=True)))


if __name__ == "__main__":
    main()
