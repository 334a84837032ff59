"""Evaluates flags through the official OpenFeature Python SDK and OFREP provider.

Usage: python3 evaluate.py BASE_URL SDK_KEY < cases.json
cases: [{flag, kind: boolean|string|number|object, default, context}]
Prints one JSON array: [{flag, value, variant, reason, errorCode}].
"""

import json
import sys

from openfeature import api
from openfeature.contrib.provider.ofrep import OFREPProvider
from openfeature.evaluation_context import EvaluationContext


def main() -> None:
    base_url, sdk_key = sys.argv[1], sys.argv[2]
    cases = json.load(sys.stdin)
    api.set_provider(OFREPProvider(base_url, headers_factory=lambda: {"Authorization": f"Bearer {sdk_key}"}))
    client = api.get_client()
    details = {
        "boolean": client.get_boolean_details,
        "string": client.get_string_details,
        # The SDK checks Python types: whole numbers are integers, others floats.
        "number": client.get_float_details,
        "integer": client.get_integer_details,
        "object": client.get_object_details,
    }
    results = []
    for case in cases:
        context = dict(case["context"])
        targeting_key = context.pop("targetingKey", None)
        kind = case["kind"]
        if kind == "number" and isinstance(case["default"], int):
            kind = "integer"
        r = details[kind](case["flag"], case["default"], EvaluationContext(targeting_key, context))
        results.append(
            {
                "flag": case["flag"],
                "value": r.value,
                "variant": r.variant,
                "reason": str(r.reason.value) if hasattr(r.reason, "value") else r.reason,
                "errorCode": str(r.error_code.value) if r.error_code is not None else None,
            }
        )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
