"""Small helpers that read like the seed's journeys, shared by the tests of every folder.

Tests import their helpers from here (`from tests.support import FICHE, learner_headers`),
never from another test module; fixtures are found by pytest in the conftest.py files. The
browser journeys' helpers are in `tests.support.browser`, imported from there.
"""

from tests.support.accounts import (
    CAPTCHA_TEST_ANSWER,
    PASSWORD,
    active_account,
    bearer,
    log_in,
    make_staff,
    new_captcha,
    read_captcha,
    sign_up,
    signup_body,
    staff_headers,
)
from tests.support.answers import field_errors, told
from tests.support.campaigns import Closed, closed_campaign, followed_before
from tests.support.catalogue import COURSE, new_course
from tests.support.enrolment import Applicant, allocate, apart, applicants, open_courses, person
from tests.support.learners import FICHE, credentials, learner_headers, legacy_login
from tests.support.mail import Mailbox, link_in, run_jobs, token_in
from tests.support.serving import serving

__all__ = [
    "CAPTCHA_TEST_ANSWER",
    "COURSE",
    "FICHE",
    "PASSWORD",
    "Applicant",
    "Closed",
    "Mailbox",
    "active_account",
    "allocate",
    "apart",
    "applicants",
    "bearer",
    "closed_campaign",
    "credentials",
    "field_errors",
    "followed_before",
    "learner_headers",
    "legacy_login",
    "link_in",
    "log_in",
    "make_staff",
    "new_captcha",
    "new_course",
    "open_courses",
    "person",
    "read_captcha",
    "run_jobs",
    "serving",
    "sign_up",
    "signup_body",
    "staff_headers",
    "token_in",
    "told",
]
