from tests.catalogue.conftest import catalogue  # noqa: F401 - the demo catalogue fixture
from tests.learners.conftest import export, imported  # noqa: F401 - the old site's export
