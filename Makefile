# The two commands of the README, and a few helpers. Each target calls a script in scripts/.
.PHONY: run dev test db db-stop bench setup soak

run:   ## optimized build (release), migrate, load demo data and serve on http://127.0.0.1:3000
	scripts/run

dev:   ## the same with a debug build: fast to rebuild after a change
	scripts/dev

test:  ## every test: unit, integration (PostgreSQL) and end to end (Playwright, Chromium)
	scripts/test

db:    ## start the private PostgreSQL cluster (used when DATABASE_URL is not set)
	scripts/pg start

db-stop:
	scripts/pg stop

setup:
	scripts/setup --e2e

bench: ## benchmarks at 100,000 serials; writes BENCHMARKS.md
	scripts/bench

soak:  ## 32 admins acting at once for SOAK_SECONDS (60), then every invariant checked; not part of test
	scripts/soak
