"""The support pages' words: money in its own currency at two decimals, Friendbuy answers as fields."""
from decimal import Decimal

from referrals.support.words import money, readable_fields


def test_money_is_grouped_at_two_decimals_in_its_currency():
    assert money(Decimal("58173.7700"), "USD") == "$58,173.77"
    assert money("30.0000", "EUR") == "€30.00"
    assert money(12, "SEK") == "12.00 SEK"
    assert money(None, "USD") == "$0.00"


def test_money_that_is_not_a_number_is_shown_as_it_came():
    assert money("n/a", "USD") == "n/a USD"


def test_a_friendbuy_answer_reads_as_fields_not_a_python_dict():
    answer = {"eventId": "1084", "createdOn": "2026-12-04T02:31:38Z"}
    assert readable_fields(answer) == "eventId: 1084 · createdOn: 2026-12-04T02:31:38Z"
    assert readable_fields('{"error": "Bad Request", "details": {"field": "email"}}') == (
        'error: Bad Request · details: {"field": "email"}')
    assert readable_fields("plain text") == "plain text"
    assert readable_fields({str(n): n for n in range(8)}).endswith("· and 2 more")
