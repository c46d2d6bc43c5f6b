"""`cma generate-legacy DIR --size N`: a realistic export of the old site, for tests and demos.

French names and addresses, the old hash formats mixed, about 2 % of dirty rows (unreadable
dates, invalid addresses, the same email again in another letter case), some accounts
without phones or without a usable password, and beside the export `credentials.csv`
(email;password) for a sample of the accounts that can be paired. Test and demo data only:
no real person, no real password. The words it draws from are data/legacy_accounts.toml.
"""

import csv
import random
import tomllib
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from passlib.hash import bcrypt, hex_md5, ldap_salted_sha1, md5_crypt

from cma.demo.fake import french_faker
from cma.learners.legacy_import import ACCOUNT_COLUMNS, HISTORY_COLUMNS
from cma.learners.models import HeardFrom

if TYPE_CHECKING:
    from faker import Faker

FORMATS = {
    "hex_md5": hex_md5,
    "ldap_salted_sha1": ldap_salted_sha1,
    "md5_crypt": md5_crypt,
    "bcrypt": bcrypt.using(rounds=5),
}
POOL = 12  # distinct (password, hash) pairs per format: hashing 100,000 would take minutes

_DATA = tomllib.loads(
    (files("cma.demo") / "data" / "legacy_accounts.toml").read_text(encoding="utf-8")
)
COUNTRIES = [code for code, weight in _DATA["birth_countries"].items() for _ in range(weight)]
COURSES = list(_DATA["courses"].items())
RESULTS: list[str] = _DATA["results"]
UNREADABLE_BIRTH_DATES: list[str] = _DATA["unreadable_birth_dates"]


@dataclass(frozen=True)
class Credential:
    password: str
    hash: str
    scheme: str


def _pool(rng: random.Random, fake: "Faker") -> list[Credential]:
    credentials = []
    for scheme, handler in FORMATS.items():
        for _ in range(POOL):
            password = f"{fake.word()}{rng.randint(10, 9999)}"
            credentials.append(Credential(password, handler.hash(password), scheme))
    return credentials


def _phone(rng: random.Random, mobile: bool) -> str:
    """A French number as people write it: "06 12 34 56 78"."""
    digits = "06" if mobile else "014"  # allocated ranges: the numbers are valid
    digits += "".join(str(rng.randint(0, 9)) for _ in range(10 - len(digits)))
    return " ".join(digits[i : i + 2] for i in range(0, 10, 2))


def generate(directory: Path, size: int, seed: int = 1998, sample: int = 50) -> int:
    """Write the export of `size` accounts; return how many history rows it has."""
    rng = random.Random(seed)  # noqa: S311 - test data, reproducible on purpose
    fake = french_faker(seed)
    pool = _pool(rng, fake)
    directory.mkdir(parents=True, exist_ok=True)
    history_rows = 0
    emails: list[str] = []
    samples: list[tuple[str, str, str]] = []
    with (
        (directory / "accounts.csv").open("w", encoding="utf-8", newline="") as accounts_file,
        (directory / "history.csv").open("w", encoding="utf-8", newline="") as history_file,
    ):
        accounts = csv.writer(accounts_file, delimiter=";")
        history = csv.writer(history_file, delimiter=";")
        accounts.writerow(ACCOUNT_COLUMNS)
        history.writerow(HISTORY_COLUMNS)
        for number in range(1, size + 1):
            legacy_id = 100000 + number
            woman = rng.random() < 0.62
            first = fake.first_name_female() if woman else fake.first_name_male()
            last = fake.last_name()
            email = f"{first}.{last}.{number}@yopmail.com".lower().replace(" ", "-")
            credential = rng.choice(pool) if rng.random() > 0.03 else None
            born = fake.date_of_birth(minimum_age=19, maximum_age=85)
            # The old site accepted both writings of a date.
            birth = rng.choice([born.isoformat(), born.strftime("%d/%m/%Y")])
            arrondissement = rng.randint(1, 20)
            dirt = rng.random()
            if dirt < 0.006:
                birth = rng.choice(UNREADABLE_BIRTH_DATES)
            elif dirt < 0.012 and emails:
                email = rng.choice(emails).upper()  # the same person, typed again
            elif dirt < 0.018:
                email = email.replace("@", " chez ")
            mobile = _phone(rng, True) if rng.random() < 0.85 else ""
            birth_name = fake.last_name() if woman and rng.random() < 0.3 else ""
            landline = _phone(rng, False) if rng.random() < 0.3 else ""
            accounts.writerow(
                [
                    legacy_id, email, credential.hash if credential else "",
                    "Mme" if woman else "M", last, birth_name,
                    first, birth, rng.choice(COUNTRIES), fake.street_address(), "", "",
                    f"750{arrondissement:02d}", "Paris", mobile, landline,
                    rng.choice([h.value for h in HeardFrom] + [""]),
                ]
            )  # fmt: skip
            if dirt >= 0.018:
                emails.append(email)
                if credential and len(samples) < sample:
                    samples.append((email, credential.password, credential.scheme))
            for _ in range(rng.choice([0, 1, 2, 3, 4, 5, 6])):
                code, title = rng.choice(COURSES)
                history.writerow(
                    [legacy_id, rng.randint(1998, 2016), code, title, rng.choice(RESULTS)]
                )
                history_rows += 1
    with (directory / "credentials.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["email", "password", "scheme"])
        writer.writerows(samples)
    return history_rows
