"""Customer import and export (CSV and Excel): reading and writing the files, checking each
row, and applying a file to the tenant's customers with a report of every bad row."""
