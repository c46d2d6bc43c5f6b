"""`make run` for a newcomer: the old logins to pair with are printed at every start."""

import logging
from pathlib import Path

import pytest

from cma import cli


def test_the_old_logins_to_pair_with_are_printed_at_every_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # What the first start generated; a later start reads it again.
    (tmp_path / "credentials.csv").write_text(
        "email;password;scheme\nroger@yopmail.com;maison6146;bcrypt\n"
        "alice@yopmail.com;son137;md5_crypt\nbruno@yopmail.com;x;hex_md5\n",
        encoding="utf-8",
    )

    with caplog.at_level(logging.INFO, logger="cma"):
        cli.announce_demo_logins(tmp_path)
        cli.announce_demo_logins(tmp_path / "nothing-yet")

    said = [r.getMessage() for r in caplog.records]
    assert said == [
        "ancien compte CMA à appairer : roger@yopmail.com / maison6146",
        "ancien compte CMA à appairer : alice@yopmail.com / son137",
    ]
