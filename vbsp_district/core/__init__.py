"""The core: money, errors, audit, the append-only ledger, text and key rules, months,
shared form fields, admin bases, files (Excel, PDF) and the role rules. It imports no
domain app (groups, lending, reporting) and nothing of access: import-linter checks it."""
