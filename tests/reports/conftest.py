"""The reports are tested on the published copy of a small real demo world: the session fixture
`published_demo` in tests/conftest.py (shared with tests/alliance)."""
