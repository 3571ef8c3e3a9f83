#!/usr/bin/python3
"""Reads an Avro object container file with python3-avro's DataFileReader (run with Debian's
/usr/bin/python3) and prints what it holds, for the HDFS writer tests:

  avro_container_dump.py FILE
      line 1: {"codec": ..., "schema": <the writer's schema as parsed>}
      then one line per record: {"headers": {k: v}, "body_hex": "..."}
      exit 0 when the whole file read cleanly; 1 (after printing what was read) on an error,
      with the error on stderr

The zstandard codec needs python3-zstandard (python3-avro only offers codecs whose modules are
installed); without it python3-avro fails with "Unsupported codec: zstandard".
"""

import json
import sys

import avro.datafile
import avro.io


def main():
    path = sys.argv[1]
    with open(path, "rb") as f:
        reader = avro.datafile.DataFileReader(f, avro.io.DatumReader())
        meta = {
            "codec": reader.get_meta("avro.codec").decode(),
            "schema": json.loads(reader.get_meta("avro.schema").decode()),
        }
        print(json.dumps(meta, sort_keys=True))
        try:
            for record in reader:
                print(json.dumps({"headers": record["headers"], "body_hex": record["body"].hex()}, sort_keys=True))
        except Exception as e:  # noqa: BLE001 - any reader failure is the test's answer
            print(f"{type(e).__name__}: {e}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
