"""RQ jobs (one module per job) and the worker entry point."""
