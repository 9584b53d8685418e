"""`make deploy-check`: docker/compose.yaml run for real (see docker/README.md)."""
