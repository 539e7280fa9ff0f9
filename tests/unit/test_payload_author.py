"""verify reads a payload's author from its JSON as the event would name it."""

from __future__ import annotations

import pytest

from ledger.verification import _UNREAD, _plain_author


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"entered_by": "1001", "by": "7702"}, "1001"),  # the typist is who put it in
        ({"entered_by": "", "by": "7702"}, "7702"),
        ({"entered_by": None, "by": "7702"}, "7702"),
        ({"by": "4521"}, "4521"),  # a change to the staff directory
        ({"entered_by": "", "by": ""}, None),
        ({"entered_by": None}, None),
    ],
)
def test_the_author_is_who_entered_it_else_who_made_it(fields, named):
    assert _plain_author(fields) == named


@pytest.mark.parametrize(
    "fields",
    [
        {"summary": "no author field: an older shape, which an upcaster may complete"},
        {"entered_by": {"_type_": "staff", "_data_": "1001"}},  # not plain text
    ],
)
def test_fields_that_cannot_say_are_decoded_as_the_application_decodes_them(fields):
    assert _plain_author(fields) is _UNREAD
