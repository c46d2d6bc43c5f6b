from tests.catalogue.conftest import catalogue  # noqa: F401 - the demo catalogue fixture
