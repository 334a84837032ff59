"""Evaluates the tether demo's flags through OpenFeature's OFREP provider.

Run `tether demo`, then: TETHER_SDK_KEY=<the key it prints> python3 app.py
"""

import json
import os
import sys

from openfeature import api
from openfeature.contrib.provider.ofrep import OFREPProvider
from openfeature.evaluation_context import EvaluationContext

base_url = os.environ.get("TETHER_URL", "http://127.0.0.1:8080")
sdk_key = os.environ.get("TETHER_SDK_KEY")
if not sdk_key:
    print("set TETHER_SDK_KEY to an SDK key (`tether demo` prints one)", file=sys.stderr)
    sys.exit(2)
headers = {"Authorization": f"Bearer {sdk_key}"}
api.set_provider(OFREPProvider(base_url, headers_factory=lambda: headers))
client = api.get_client()
user = EvaluationContext(targeting_key="user-1")

results = [
    client.get_boolean_details("new-checkout", False, user),
    client.get_string_details("banner-text", "Welcome!", user),
    # The demo's page sizes are whole numbers (20, 50): the integer getter.
    client.get_integer_details("search-page-size", 10, user),
    client.get_object_details("recommendations", {"model": "popular", "slots": 3}, user),
]
for r in results:
    value = json.dumps(r.value, separators=(",", ":"))
    message = f" ({r.error_message})" if r.error_message else ""
    error = f" error={r.error_code}{message}" if r.error_code else ""
    print(f"{r.flag_key:<17} {value}  variant={r.variant or ''} reason={r.reason}{error}")
sys.exit(1 if any(r.error_code for r in results) else 0)
