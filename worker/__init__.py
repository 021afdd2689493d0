"""The Celery worker: thin tasks that load by id, call one domain service and commit once."""

# How a worker process runs in production (docker-compose.yml), in `make bench` and in the tests that check
# it: one process, eight threads. A notice spends most of its time waiting (for the mail server's replies,
# for PostgreSQL), waits that let the other threads render and send meanwhile; a payout waits for Stripe.
# Each thread sends over its own SMTP connection, so a worker killed mid-batch can repeat at most one
# message per thread. Scaling out is more worker processes (containers). The embedded demo runs one solo
# worker (scripts/demo.py): SQLite takes one writer at a time.
POOL_OPTIONS = ("--pool=threads", "--concurrency=8")
