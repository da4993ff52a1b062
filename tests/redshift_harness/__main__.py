"""The Redshift harness from the command line.

make redshift-harness                  # = python -m redshift_harness up data/sparkify
    starts moto_server with the data in s3://sparkify-harness, PostgreSQL and the proxy, prints
    the env to export for `dbt … --target redshift`, and runs until Ctrl-C (for debugging
    Redshift SQL by hand; the tests start their own).
python -m redshift_harness serve --port P --upstream-port U --log statements.jsonl --s3-endpoint URL [--tls-ca F]
    the wire-protocol proxy alone (what start_harness runs); AWS credentials for the S3 endpoint
    come from the AWS environment variables; with --tls-ca it offers TLS with a throwaway certificate
    whose CA it writes to F; prints "ready" once it accepts connections.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import boto3

from redshift_harness.proxy import Proxy, StatementLog, serve
from redshift_harness.tls import server_context


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m redshift_harness")
    sub = parser.add_subparsers(dest="command", required=True)
    serve_parser = sub.add_parser("serve", help="run the Redshift wire-protocol proxy")
    serve_parser.add_argument("--port", type=int, required=True)
    serve_parser.add_argument("--upstream-port", type=int, required=True)
    serve_parser.add_argument("--log", type=Path, required=True)
    serve_parser.add_argument("--s3-endpoint", required=True)
    serve_parser.add_argument("--tls-ca", type=Path, help="offer TLS; write the certificate's CA here")
    up_parser = sub.add_parser("up", help="moto_server + PostgreSQL + proxy with a data root, until Ctrl-C")
    up_parser.add_argument("data_root", type=Path)
    args = parser.parse_args()
    if args.command == "up":
        up(args.data_root)
        return

    session = boto3.session.Session()

    def s3_client():
        return session.client("s3", endpoint_url=args.s3_endpoint)

    tls = server_context(args.tls_ca) if args.tls_ca else None
    proxy = Proxy(args.upstream_port, StatementLog(args.log), s3_client, tls)
    asyncio.run(serve(args.port, proxy, ready=lambda: print("ready", flush=True)))


def up(data_root: Path) -> None:
    import shutil
    import signal
    import subprocess
    import sys
    import tempfile
    import time

    from redshift_harness import free_port, start_harness, wait_for_port

    # Dummy credentials for the local S3 API only.
    credentials = {"AWS_ACCESS_KEY_ID": "harness", "AWS_SECRET_ACCESS_KEY": "harness"}
    credentials["AWS_DEFAULT_REGION"] = "us-west-2"
    workdir = Path(tempfile.mkdtemp(prefix="redshift-harness-"))
    port = free_port()
    moto = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        stdout=(workdir / "moto.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    harness = None

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        wait_for_port(port, moto, "moto_server")
        endpoint = f"http://127.0.0.1:{port}"
        s3 = boto3.client("s3", endpoint_url=endpoint, **{k.lower(): v for k, v in credentials.items() if "KEY" in k})
        s3.create_bucket(Bucket="sparkify-harness", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
        for path in sorted(data_root.rglob("*.json")):
            s3.upload_file(str(path), "sparkify-harness", path.relative_to(data_root).as_posix())
        harness = start_harness(workdir, endpoint, credentials)
        exports = {
            **harness.env(),
            "SPARKIFY_DATA_ROOT": "s3://sparkify-harness",
            "SPARKIFY_IAM_ROLE": "arn:aws:iam::123456789012:role/sparkify-harness-copy",
            "DBT_TARGET": "redshift",
        }
        print("# Redshift harness up. In another shell:")
        for key, value in exports.items():
            print(f"export {key}={value}")
        print(f"# statements: {harness.log_path}   (Ctrl-C stops everything)", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        if harness:
            harness.stop()
        moto.terminate()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
