"""Source credentials at rest (zhuyun.core.secret_box): sealed, tamper-evident, rotatable."""

from __future__ import annotations

import pytest

from zhuyun.core.secret_box import SealBroken, open_sealed, reseal, seal

KEY = "a-platform-secret-key-of-at-least-32-chars"


def test_a_sealed_credential_opens_with_the_same_key() -> None:
    token = seal("口令 p@ss:word/1", KEY)
    assert token.isascii() and "p@ss" not in token
    assert open_sealed(token, KEY) == "口令 p@ss:word/1"
    assert seal("same", KEY) != seal("same", KEY)  # a fresh IV every time


def test_a_tampered_token_or_a_wrong_key_is_refused_clearly() -> None:
    token = seal("secret", KEY)
    flipped = token[:20] + ("A" if token[20] != "A" else "B") + token[21:]
    for bad_token, key in ((flipped, KEY), (token[:-4], KEY), (token, KEY + "x"), ("", KEY)):
        with pytest.raises(SealBroken) as caught:
            open_sealed(bad_token, key)
        assert "altered" in str(caught.value) and "篡改" in str(caught.value)
        assert "secret" not in str(caught.value).replace("secret key", "")


def test_credentials_survive_a_change_of_the_platform_key() -> None:
    old = seal("secret", KEY)
    new_key = "another-platform-secret-key-of-32-chars!"
    with pytest.raises(SealBroken):
        open_sealed(old, new_key)
    assert open_sealed(old, new_key, previous_keys=[KEY]) == "secret"
    rotated = reseal(old, new_key, previous_keys=[KEY])
    assert open_sealed(rotated, new_key) == "secret"


def test_an_empty_key_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="empty"):
        seal("x", "")
