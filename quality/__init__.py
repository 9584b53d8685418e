"""Quality (R18-R19): expectation suites, cross-department comparison, quality issues, reports."""
