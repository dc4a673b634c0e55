"""QA and contact records, metric math and targets."""
