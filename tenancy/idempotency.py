"""`Idempotency-Key` on API POSTs: a repeat returns the first response and creates nothing.

Runs inside the request's tenant transaction. Two concurrent requests with one key: the second
insert waits on the unique index until the first commits, then replays its response.
"""

import hashlib
import re

from django.db import IntegrityError, transaction
from django.http import HttpResponse

from core.problems import problem_response

from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
KEY = re.compile(r"^[!-~]{1,255}$")  # as the schema declares it (core.api)


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get(HEADER)
        if (
            key is None
            or request.method != "POST"
            or not request.path.startswith("/api/")
            or getattr(request, "organization", None) is None
        ):
            return self.get_response(request)
        if not KEY.match(key):
            message = "1 to 255 printable ASCII characters, no spaces."
            return problem_response(
                400,
                "invalid",
                f"{HEADER}: {message}",
                [{"parameter": HEADER, "detail": message, "code": "invalid"}],
            )
        fingerprint = hashlib.sha256(
            request.method.encode() + request.path.encode() + b"\0" + request.body
        ).hexdigest()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    organization=request.organization, key=key, fingerprint=fingerprint
                )
        except IntegrityError:
            return self._replay(key, fingerprint)
        response = self.get_response(request)
        if response.status_code >= 500:
            record.delete()  # let the client retry with the same key
            return response
        if hasattr(response, "render"):
            response.render()
        record.status = response.status_code
        record.content_type = response.get("Content-Type", "")
        record.body = response.content
        record.save(update_fields=["status", "content_type", "body"])
        return response

    def _replay(self, key, fingerprint):
        record = IdempotencyRecord.objects.get(key=key)
        if record.fingerprint != fingerprint:
            return problem_response(
                409, "idempotency_key_reused", f"This {HEADER} was used for a different request."
            )
        response = HttpResponse(
            bytes(record.body), status=record.status, content_type=record.content_type
        )
        response["Idempotent-Replayed"] = "true"
        return response
