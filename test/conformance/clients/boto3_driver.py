#!/usr/bin/env python3
"""boto3 driver: performs one conformance step and prints "Field<TAB>value" lines.

Input (environment, set by run.sh):
  CONF_ENDPOINT CONF_REGION CONF_SERVICE CONF_OP CONF_PARAMS (JSON)
  CONF_AKID CONF_SECRET CONF_TOKEN
  CONF_SIGNING: normal | unsigned | dated:<seconds offset> | presigned:<expires seconds>
  CONF_PARAMETER_VALIDATION: "false" turns botocore's parameter checks off
  CONF_CA_BUNDLE: a PEM file, the CAs an https endpoint is verified with
  (CONF_CA_VIA=env: given as AWS_CA_BUNDLE, as users set it, instead of verify=)
  (presigned: a GET URL from generate_presigned_url, fetched with urllib, as EKS's
  aws-iam-authenticator does with a presigned GetCallerIdentity)
Output: the flattened result (see util.py) or Code/Message of the AWS error,
plus HTTPStatus; "Error<TAB>..." for anything that is not an AWS answer.
"""
import base64
import datetime
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from util import emit  # noqa: E402

try:
    import boto3
    import botocore
    import botocore.auth
    from botocore import UNSIGNED
    from botocore.config import Config
    from botocore.exceptions import ClientError
except ImportError as e:  # run.sh detects this before calling us
    emit("Skip", "boto3 not importable: %s" % e)
    sys.exit(0)


def normalise(obj):
    if isinstance(obj, dict):
        return {k: normalise(v) for k, v in obj.items() if k != "ResponseMetadata"}
    if isinstance(obj, list):
        return [normalise(v) for v in obj]
    if isinstance(obj, datetime.datetime):
        return obj.isoformat()
    if isinstance(obj, (bytes, bytearray)):
        return base64.b64encode(bytes(obj)).decode()
    if hasattr(obj, "read"):  # streaming body
        return base64.b64encode(obj.read()).decode()
    return obj


def shift_clock(seconds):
    """Make botocore's SigV4 signer see a clock moved by `seconds`."""
    delta = datetime.timedelta(seconds=seconds)
    if hasattr(botocore.auth, "get_current_datetime"):  # botocore >= 1.36
        real = botocore.auth.get_current_datetime

        def shifted(*a, **kw):
            return real(*a, **kw) + delta

        botocore.auth.get_current_datetime = shifted
    else:  # older botocore: datetime.datetime.utcnow() inside botocore.auth
        real_dt = datetime.datetime

        class ShiftedDatetime(real_dt):
            @classmethod
            def utcnow(cls):
                return real_dt.utcnow() + delta

            @classmethod
            def now(cls, tz=None):
                return real_dt.now(tz) + delta

        class Mod:
            pass

        shim = Mod()
        shim.__dict__.update(datetime.__dict__)
        shim.datetime = ShiftedDatetime
        botocore.auth.datetime = shim


def presigned_get(client, op, params, expires):
    import urllib.error
    import urllib.request
    from util import flatten_xml
    url = client.generate_presigned_url(botocore.xform_name(op), Params=params,
                                        ExpiresIn=expires, HttpMethod="GET")
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            status, body = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, body = e.code, e.read()
    except Exception as e:
        emit("Error", "GET of the presigned URL: %s: %s" % (type(e).__name__, e))
        return
    emit("HTTPStatus", status)
    flatten_xml(body.decode("utf-8", "replace"))


def main():
    env = os.environ
    service, op = env["CONF_SERVICE"], env["CONF_OP"]
    params = json.loads(env.get("CONF_PARAMS") or "{}")
    signing = env.get("CONF_SIGNING", "normal")

    cfg = dict(retries={"total_max_attempts": 1, "mode": "standard"},
               connect_timeout=10, read_timeout=30)
    if env.get("CONF_PARAMETER_VALIDATION") == "false":
        # Values outside the model's ranges reach the server (DurationSeconds 2 for a
        # server run with --min-session-duration).
        cfg["parameter_validation"] = False
    if signing == "unsigned":
        cfg["signature_version"] = UNSIGNED
    elif signing.startswith("dated:"):
        shift_clock(int(signing.split(":", 1)[1]))
    elif signing.startswith("presigned:"):
        pass
    elif signing != "normal":
        emit("Error", "boto3 driver: unknown CONF_SIGNING %r" % signing)
        return

    session = boto3.session.Session(
        aws_access_key_id=env.get("CONF_AKID") or "AKIDUNUSEDFORUNSIGNED",
        aws_secret_access_key=env.get("CONF_SECRET") or "unused",
        aws_session_token=env.get("CONF_TOKEN") or None,
        region_name=env["CONF_REGION"],
    )
    verify = None  # botocore's default: certifi's bundle, or AWS_CA_BUNDLE
    os.environ.pop("AWS_CA_BUNDLE", None)  # only what the step gives
    if env.get("CONF_CA_BUNDLE"):
        if env.get("CONF_CA_VIA") == "env":
            os.environ["AWS_CA_BUNDLE"] = env["CONF_CA_BUNDLE"]
        else:
            verify = env["CONF_CA_BUNDLE"]
    client = session.client(service, endpoint_url=env["CONF_ENDPOINT"],
                            config=Config(**cfg), verify=verify)
    if signing.startswith("presigned:"):
        return presigned_get(client, op, params, int(signing.split(":", 1)[1]))
    method = getattr(client, botocore.xform_name(op))
    try:
        resp = method(**params)
    except ClientError as e:
        err = e.response.get("Error", {})
        emit("Code", err.get("Code", ""))
        emit("Message", err.get("Message", ""))
        meta = e.response.get("ResponseMetadata", {})
        emit("HTTPStatus", meta.get("HTTPStatusCode", ""))
        if meta.get("RequestId"):
            emit("RequestId", meta["RequestId"])
        return
    except Exception as e:  # connection errors, parse errors, validation in the client
        emit("Error", "%s: %s" % (type(e).__name__, e))
        return
    meta = resp.get("ResponseMetadata", {})
    emit("HTTPStatus", meta.get("HTTPStatusCode", ""))
    if meta.get("RequestId"):
        emit("RequestId", meta["RequestId"])
    from util import flatten
    flatten("", normalise(resp))


if __name__ == "__main__":
    main()
