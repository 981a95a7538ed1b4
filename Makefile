# Every target installs what it needs first; see README.md.
.PHONY: run test build unit lab-up lab-down lab-purge bench clean

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh

build:
	bash scripts/setup.sh

unit: build
	node --test --test-reporter=spec $$(find dist/test/unit -name '*.test.js' | sort)

lab-up:
	bash lab/install-deps.sh
	bash lab/lab.sh up

lab-down:
	bash lab/lab.sh down

lab-purge:
	bash lab/lab.sh down --purge

bench:
	bash scripts/setup.sh
	npm run bench

clean:
	rm -rf dist
