"""The project's own tools: readiness probes and the deployment check."""
