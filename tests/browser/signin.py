"""Signing in through the login form, as a person does: one home for the browser tests."""

from __future__ import annotations

from typing import Any


def sign_in_through_form(page: Any, username: str, password: str) -> None:
    """Fill the login form the page shows and submit it (the caller waits for where it lands)."""
    page.get_by_label("账号").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
