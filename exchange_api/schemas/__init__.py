"""What the API takes and answers, one module per domain."""
