"""Spreadsheet import of new pupils (DESIGN §3 step 3 and §4).

`reader` turns an uploaded .xlsx/.csv into rows of plain strings, `validate` turns those rows
into a preview (pure: reads the database, never writes), `commit` holds the services that store
a preview as an ImportJob and create the accounts, `templates` builds the blank template.
"""
