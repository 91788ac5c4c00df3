"""One redaction for URLs and messages: userinfo passwords, signatures, tokens (issue 10)."""

from __future__ import annotations

import pytest

from eojobs.redact import redact_text, redact_url, remember_secret


@pytest.mark.parametrize(("url", "shown"), [
    ("http://user:secret@host:8080/p", "http://user:REDACTED@host:8080/p"),
    ("https://host/p?X-Amz-Signature=abc&X-Amz-Credential=AK%2F1&part=1",
     "https://host/p?X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED&part=1"),
    ("https://h/b?expires=9&signature=f00d", "https://h/b?expires=9&signature=REDACTED"),
    ("https://h/b?sv=1&sig=abc%2B&se=2", "https://h/b?sv=1&sig=REDACTED&se=2"),
    ("https://h/?access_token=a&key=k&api_key=z&Policy=p&Key-Pair-Id=i&limit=24",
     "https://h/?access_token=REDACTED&key=REDACTED&api_key=REDACTED&Policy=REDACTED"
     "&Key-Pair-Id=REDACTED&limit=24"),
    ("https://h/cb#access_token=abc&state=1", "https://h/cb#access_token=REDACTED&state=1"),
    ("https://ghp_0123456789abcdefghijkl@host/x", "https://REDACTED@host/x"),
    ("https://me@host/x?filter[name__eq]=Elevation&last[id]=3",
     "https://me@host/x?filter[name__eq]=Elevation&last[id]=3"),
])
def test_redact_url(url, shown):
    assert redact_url(url) == shown


def test_redact_text_masks_urls_bare_queries_bearer_tokens_and_known_secrets():
    remember_secret("Known-Secret-42")
    line = ('could not connect to https://me:pw@h/x?token=abc&limit=3; '
            '"GET /blob/1?expires=5&signature=9f9f HTTP/1.1" 200 12; '
            'Authorization: Bearer eyJ0.eXAi.sig; {"password": "hunter22"}; Known-Secret-42')
    assert redact_text(line) == (
        'could not connect to https://me:REDACTED@h/x?token=REDACTED&limit=3; '
        '"GET /blob/1?expires=5&signature=REDACTED HTTP/1.1" 200 12; '
        'Authorization: Bearer REDACTED; {"password": "REDACTED"}; REDACTED')


def test_punctuation_after_a_url_stays_and_a_value_with_punctuation_inside_is_masked_whole():
    assert redact_text("(see https://u:p@h/x?a=b&sig=abc), then https://h/?token=t.") == (
        "(see https://u:REDACTED@h/x?a=b&sig=REDACTED), then https://h/?token=REDACTED.")
    assert redact_text("GET /x?signature=ab)cd,ef 200") == "GET /x?signature=REDACTED 200"
