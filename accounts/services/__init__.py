"""Writes for schools, accounts, groups and the audit log.

Each service takes keyword-only arguments, does one atomic change and records its own
audit entries. Import from the submodules: `from accounts.services.leavers import ...`.
"""
