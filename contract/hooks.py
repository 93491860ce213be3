"""What JSON Schema cannot say about the ICP API's bodies, for schemathesis' generators.

Each rule here is also written in the OpenAPI document's descriptions, and the server answers 400
when a body breaks it. Generated bodies that break one are dropped rather than sent as "valid".
"""

import ipaddress
from urllib.parse import urlsplit

import schemathesis


def _sizes(body):
    for source in body.get("leadProviderCriteria") or []:
        if not isinstance(source, dict):
            continue
        filters = source.get("filters")
        company = filters.get("company") if isinstance(filters, dict) else None
        size = company.get("employee_size") if isinstance(company, dict) else None
        if isinstance(size, dict):
            yield size


def _number(value):
    # JSON Schema's integers include 5.0, which generators produce too.
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _public_literal(url):
    """Whether a webhook `url` names its host by a public IP address. A name's addresses depend on
    the machine's DNS, and a non-public one is refused (as the document says), so only these are
    known to be acceptable wherever the test runs."""
    try:
        host = urlsplit(url).hostname
        return host is not None and ipaddress.ip_address(host).is_global
    except ValueError:
        return False


@schemathesis.hook
def filter_case(ctx, case):
    """Applies in every phase (a `filter_body` hook does not reach the coverage phase)."""
    body = case.body
    if not isinstance(body, dict):
        return True
    if isinstance(body.get("url"), str) and not _public_literal(body["url"]):
        return False
    for size in _sizes(body):
        low, high = size.get("min"), size.get("max")
        if _number(low) and _number(high) and low > high:
            return False
    return True
