"""A run's report: its figures (`seamless.report.figures`), drawn from the result's tables."""
