"""What the tests share, in one place.

- `factories`: factory-boy factories of the organization (users with a role, communes,
  groups, members); money always goes through the services.
- `fixtures`: the shared pytest fixtures (registered by tests/conftest.py).
- `book`: building a book through the services and reading it back (row counts, refusals,
  groups, members, loans, balances, ledgers).
- `figures`: the reporting figures of a loan or the district.
- `pages`: reading and submitting pages with the test client.
- `workbooks`: portfolio workbook files for the import tests.
- `marks`: marks such as `postgres_only`.
"""
