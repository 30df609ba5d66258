"""Hooks for the API fuzz run (`cargo xtask api-fuzz`): what the fuzzer
cannot learn from the document's schemas, told once, here.

Idempotency keys. An `Idempotency-Key` names one logical request: the
server answers a key seen before with another request by `422
idempotency_key_reused`, as the header's description says. The fuzzer draws
keys for every case independently and so repeats short ones ("0", "A")
across unrelated requests. A key is sent as drawn the first time; a repeat
gets a fresh key of the same shape, so each request is judged on its own
content, and malformed keys still reach the server unchanged.

Refusals no schema can state. JSON Schema describes each value on its own;
it cannot say "not before `issue_date`", "not in the future" or "no more
than the invoice still has open". The document states those rules in
words and lists the codes they are refused with. A schema-valid request
refused with `422` is therefore kept as a failure unless it is one of
them:
- a business refusal whose code the operation's `422` answer documents
  (`over_allocated`, `contact_not_of_client`, ...): what the server holds
  decided it, not the request's shape;
- `validation_failed` for one of `RULES_ACROSS_FIELDS` below, each stated
  in the description of the field it names.
Every other `422` (`invalid_request`, or `validation_failed` on a single
value) means the schema called valid what the server refuses, and fails
the run. Query strings have rules across parameters too (a statement's
`from` not after its `to`, and less than ten years before it, where a day
left out stands for today): a `400 invalid_query` for one of
`QUERY_RULES_ACROSS_FIELDS` is dropped the same way, and every other `400`
fails the run.
"""

import itertools
import json
import os
import re

import schemathesis

KEY_HEADER = "idempotency-key"
# `IdempotencyKey::PATTERN` in portal-domain.
VALID_KEY = re.compile(r"[\x21-\x7e]{1,255}")

# The codes of a request that breaks a rule by itself.
VALIDATION_CODES = {"validation_failed", "invalid_request"}

# (field, what the server says): rules between fields, or with the clock.
RULES_ACROSS_FIELDS = [
    (r"due_date|valid_until", "must not be before issue_date"),
    (r"lines\[\d+\]\.quantity", "makes the line amount too large"),
    (r"lines", "must not add up to a negative total"),
    (r"lines", "add up to a total that is too large"),
    (r"received_at", "must not be in the future"),
    (r"allocations\[\d+\]\.invoice_id", "names an invoice already allocated to in this payment"),
    (r"allocations", "add up to .+, more than the payment's"),
    (r"idle_timeout_seconds", "must not be longer than the session lifetime"),
]

# (parameter, what the server says): rules between query parameters, or
# with the clock, answered `400 invalid_query` naming the parameter.
QUERY_RULES_ACROSS_FIELDS = [
    (r"from", "must not be after to"),
    (r"to", r"must be less than \d+ years after from"),
]

_seen_keys: set[str] = set()
_fresh_keys = itertools.count(1)


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers or {}
    for name, key in list(headers.items()):
        if name.lower() != KEY_HEADER or not isinstance(key, str) or not VALID_KEY.fullmatch(key):
            continue
        if key in _seen_keys:
            key = f"fuzz-{next(_fresh_keys)}"
            headers[name] = key
        _seen_keys.add(key)


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """Whether `failure` stands: `False` only for the refusals above, each
    noted in the file PORTAL_FUZZ_DROPPED names for the run's summary."""
    status = response.status_code
    if getattr(failure, "code", None) != "ST202" or status not in (400, 422):
        return True
    try:
        error = json.loads(response.content)["error"]
        code, field, message = error["code"], error.get("field") or "", error["message"]
    except (ValueError, KeyError, TypeError):
        return True
    if status == 400:
        rule = next(
            (
                f"{rule_field}: {rule}"
                for rule_field, rule in QUERY_RULES_ACROSS_FIELDS
                if code == "invalid_query"
                and re.fullmatch(rule_field, field)
                and re.search(rule, message)
            ),
            None,
        )
        if rule is None:
            return True
        note(case, f"400 invalid_query ({rule})")
        return False
    if code in VALIDATION_CODES:
        rule = next(
            (
                f"{rule_field}: {rule}"
                for rule_field, rule in RULES_ACROSS_FIELDS
                if code == "validation_failed"
                and re.fullmatch(rule_field, field)
                and re.search(rule, message)
            ),
            None,
        )
        if rule is None:
            return True
        note(case, f"422 validation_failed ({rule})")
        return False
    if f"`{code}`" not in documented_refusals(case.operation):
        return True
    note(case, f"422 {code}")
    return False


def note(case, why):
    path = os.environ.get("PORTAL_FUZZ_DROPPED")
    if path:
        with open(path, "a", encoding="utf-8") as notes:
            notes.write(f"{case.operation.label}: {why}\n")


def documented_refusals(operation):
    """The description of the operation's `422` answer."""
    responses = operation.definition.raw.get("responses", {})
    return responses.get("422", {}).get("description", "")
