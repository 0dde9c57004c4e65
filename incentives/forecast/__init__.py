"""The budget forecast for the finance wing: SLI and capital subsidy outflow to the scheme's end."""
