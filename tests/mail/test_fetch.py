"""The poller's pure helpers: reading a several-message UID FETCH response, and batching UIDs."""

from __future__ import annotations

from mail_ingest.poller import batches, messages_by_uid


def test_messages_are_keyed_by_their_uid_wherever_the_server_puts_it() -> None:
    data = [(b"1 (UID 4 BODY[] {5}", b"one\r\n"), b")",
            (b"2 (BODY[] {5}", b"two\r\n"), b" UID 9)",  # the UID after the literal
            (b"3 (UID 12 FLAGS (\\Seen) BODY[] {7}", b"three\r\n"), b")",
            b"4 (FLAGS (\\Seen))"]  # an unsolicited flag update carries no message
    assert messages_by_uid(data) == {4: b"one\r\n", 9: b"two\r\n", 12: b"three\r\n"}
    assert messages_by_uid([None]) == {}  # a server's empty answer


def test_batches_keep_uid_order() -> None:
    assert list(batches([3, 4, 7, 8, 9], 2)) == [[3, 4], [7, 8], [9]]
    assert list(batches([], 20)) == []
