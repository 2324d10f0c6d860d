"""Schemathesis hooks: every request carries a fresh bearer token, and every POST body a detached
signature, both made here with Python's `cryptography` from the holder's key, not by Ventanilla's
own code (design.md §10–11). Each token is accepted once, so each call gets its own.

Environment: ST_KEY_FILE (the holder's encrypted PKCS#8 DER key), ST_KEY_PASSWORD, ST_X5C (the
JSON array of base64 DER certificates) and ST_RFC (the holder's RFC).
"""

import base64
import json
import os
import time
import uuid

import schemathesis
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

KEY = serialization.load_der_private_key(
    open(os.environ["ST_KEY_FILE"], "rb").read(), password=os.environ["ST_KEY_PASSWORD"].encode()
)
X5C = json.loads(os.environ["ST_X5C"])
RFC = os.environ["ST_RFC"]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def rs256(signing_input: str) -> str:
    return b64(KEY.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256()))


def token() -> str:
    now = int(time.time())
    header = b64(json.dumps({"alg": "RS256", "x5c": X5C}).encode())
    claims = {"sub": RFC, "aud": "ventanilla", "iat": now, "exp": now + 120, "jti": str(uuid.uuid4())}
    encoded = b64(json.dumps(claims).encode())
    return f"{header}.{encoded}.{rs256(f'{header}.{encoded}')}"


def detached_signature(body: bytes) -> str:
    header = b64(json.dumps({"alg": "RS256", "x5c": X5C, "iat": int(time.time())}).encode())
    return f"{header}..{rs256(f'{header}.{b64(body)}')}"


@schemathesis.hook
def before_call(ctx, case, kwargs):
    # Headers go on the case (schemathesis passes them to the transport itself); the body is
    # serialised here, so that the signature covers the very bytes sent.
    case.headers = dict(case.headers or {})
    case.headers["Authorization"] = f"Bearer {token()}"
    if kwargs.get("json") is not None:
        kwargs["data"] = json.dumps(kwargs.pop("json")).encode()
        case.headers["Content-Type"] = "application/json"
    body = kwargs.get("data")
    if case.method.upper() == "POST" and isinstance(body, (bytes, str)):
        raw = body.encode() if isinstance(body, str) else body
        case.headers["Ventanilla-Signature"] = detached_signature(raw)
