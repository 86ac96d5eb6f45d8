# ovn-ocf — build, install, test.
#   make test      install what the tests need (apt-get), build, install, run every test
#   make install   DESTDIR, PREFIX, OCF_ROOT honoured
#   make bench     measure against OVN's ovndb-servers.ocf and OVN's RAFT cluster, write
#                  BENCHMARKS.md (RAFT_SYSTEMS=none skips the RAFT figure)
#   make fuzz      the fuzz targets at scale (FUZZ_CASES, default 200000 per target)
#   make soak      SOAK_N (50) failovers in one namespace cluster; its section of BENCHMARKS.md
#   make load      LOAD_MINUTES (5) under 200 simulated ovn-controllers: no false failover;
#                  its section of BENCHMARKS.md
#   make demo      a 2-node cluster in namespaces with the agents (CLOUD=1: and a small cloud)
#   make cloud-smoke  shape A with a real Neutron and ovn-controller; no ping may be lost
#   make cloud-scenarios  the same cloud through power-offs with NB or SB lost (make test
#                  runs it)
#   make gendb     a realistic NB and the SB ovn-northd computes from it (GENDB_SIZE,
#                  GENDB_OUT; ocf-tests/bench/gendb.sh)

PREFIX   ?= /usr/local
OCF_ROOT ?= /usr/lib/ocf
DESTDIR  ?=
CARGO    ?= cargo
# A static-pie binary: every monitor is a fresh exec, and the dynamic loader's share of
# that is measurable (BENCHMARKS.md). With --target given, the flag does not reach
# proc-macros and build scripts.
HOST     := $(shell rustc -vV 2>/dev/null | sed -n 's/^host: //p')
export RUSTFLAGS := -C target-feature=+crt-static
CARGO_TARGET := --target $(HOST)
BIN      := target/$(HOST)/release/ovn-ocf
AGENTS   := ovsdb-server ovn-northd
SBINDIR  := $(PREFIX)/sbin
AGENTDIR := $(OCF_ROOT)/resource.d/ovn-ocf

.PHONY: all build deps install uninstall test bench fuzz soak load readme clean demo demo-down cluster-smoke cloud-smoke cloud-scenarios gendb replication-guards

all: build

build:
	$(CARGO) build --release --locked $(CARGO_TARGET)

# Debian packages the tests run against, and a Rust toolchain. Idempotent.
deps:
	ocf-tests/deps.sh

install: build
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(AGENTDIR)
	install -m 0755 $(BIN) $(DESTDIR)$(SBINDIR)/ovn-ocf
	for a in $(AGENTS); do ln -sfn $(SBINDIR)/ovn-ocf $(DESTDIR)$(AGENTDIR)/$$a; done

uninstall:
	for a in $(AGENTS); do rm -f $(DESTDIR)$(AGENTDIR)/$$a; done
	-rmdir $(DESTDIR)$(AGENTDIR)
	rm -f $(DESTDIR)$(SBINDIR)/ovn-ocf

# Everything: unit tests, integration tests against real daemons, the installed agent
# through ocf-tester, crm_resource and pcs (so the system install comes first), the .deb
# and RPM (built, the .deb installed and purged: packaging/test.sh), and the
# failover scenarios in a namespace cluster (shapes A, B and D, a split brain in A, C and D,
# a migration,
# shape D's replication guards against the incumbent's documented failures,
# and `make load`'s short run: 60 s of 100 simulated ovn-controllers, no false failover),
# then the seed's recovery with the real tools: a small real cloud (Neutron, its sync
# util, ovn-controller, two VMs pinging) through power-offs of the serving node with NB or
# SB lost (cloud-scenarios.sh; the cloud's packages are installed the first time), and
# the same cloud in shape C (each node's own files, rebuilt by the sync util and northd at
# every takeover) through four takeovers, over and back twice (power-off, standby,
# corosync kill), and kill -9 of SB, NB and ovn-northd and a SIGSTOP of SB in place.
test: deps
	ocf-tests/cloud-deps.sh
	$(MAKE) install
	$(CARGO) test --profile ci --locked $(CARGO_TARGET) -- --test-threads=$(or $(TEST_THREADS),4)
	$(MAKE) package-test
	ocf-tests/cluster/scenarios.sh
	ocf-tests/cluster/split-brain.sh
	SPLIT_SHAPE=C ocf-tests/cluster/split-brain.sh
	SPLIT_SHAPE=D ocf-tests/cluster/split-brain.sh
	ocf-tests/cluster/migrate.sh
	MIGRATE_SHAPE=D ocf-tests/cluster/migrate.sh
	ocf-tests/cluster/replication-guards.sh
	LOAD_SECONDS=60 LOAD_CONTROLLERS=100 ocf-tests/cluster/load.sh
	ocf-tests/cluster/cloud-scenarios.sh
	CLOUD_SCENARIO_SHAPE=C ocf-tests/cluster/cloud-scenarios.sh

bench: deps build
	ocf-tests/bench/run.sh

# A realistic NB (a Neutron-like topology: routers, switches, VM ports, port groups with
# ACLs, load balancers, DHCP options) and the SB the real ovn-northd computes from it, at
# GENDB_SIZE (tiny, small, medium, large, xlarge: 0.85, 25, 101, 253, 532 MB of SB) into
# GENDB_OUT (default target/gendb/SIZE); reused when already made with the same
# parameters. Prints one GENDB line; knobs in ocf-tests/bench/gendb.sh.
gendb:
	GENDB_SIZE=$(or $(GENDB_SIZE),tiny) $(if $(GENDB_OUT),GENDB_OUT=$(GENDB_OUT)) \
	  ocf-tests/bench/gendb.sh

# Property-test fuzzing at scale (ocf-tests/fuzz.rs): FUZZ_CASES per target (make test
# runs the same targets with 256). 200000 took 69 s here.
fuzz: build
	OVN_OCF_FUZZ_CASES=$(or $(FUZZ_CASES),200000) $(CARGO) test --release --locked $(CARGO_TARGET) --test fuzz -- --test-threads=$(or $(TEST_THREADS),2)

# A 2-node Pacemaker cluster in namespaces on this machine, shape A from README.md.
# CLOUD=1 adds a small real cloud around it (ocf-tests/cluster/cloud.sh: Neutron,
# ovn-controller, two VMs pinging each other; its packages are installed the first time).
demo: deps install
	ocf-tests/cluster/cluster.sh crm-xml >/dev/null 2>&1 || \
	  { ocf-tests/cluster/cluster.sh down && ocf-tests/cluster/cluster.sh up; }
	ocf-tests/cluster/cluster.sh wait-group ovn 2 >/dev/null 2>&1 || ocf-tests/cluster/cluster.sh shape A
	@active=$$(ocf-tests/cluster/cluster.sh wait-group ovn 60) && \
	other=$$(test "$$active" = node1 && echo node2 || echo node1) && \
	ocf-tests/cluster/cluster.sh exec $$active crm_mon -1 -A && \
	echo && echo "OVN runs on $$active." && \
	echo "enter a node:      ocf-tests/cluster/cluster.sh exec $$active bash" && \
	echo "fail over:         ocf-tests/cluster/cluster.sh exec $$active pcs node standby $$active" && \
	echo "power it off:      ocf-tests/cluster/cluster.sh exec $$other stonith_admin --fence $$active" && \
	echo "a client:          ocf-tests/cluster/cluster.sh client ovn-sbctl --db=tcp:198.51.100.100:6642 show" && \
	echo "tear down:         make demo-down"
	@if [ "$(CLOUD)" = 1 ]; then ocf-tests/cloud-deps.sh && ocf-tests/cluster/cloud.sh demo; fi

demo-down:
	-ocf-tests/cluster/cloud.sh down
	ocf-tests/cluster/cluster.sh down

# Shape A with the cloud around it (installs the cloud's packages the first time): steady
# and standby windows lose no ping, keep the flows and ovn-controller. Not in make test
# (Neutron takes minutes to come up here).
cloud-smoke: deps install
	ocf-tests/cloud-deps.sh
	ocf-tests/cluster/cloud-smoke.sh

# The seed's recovery with the real tools (part of make test): README's shape A and its
# recipe "Rebuild NB with Neutron's sync util" verbatim, the small real cloud around it,
# power-offs of the serving node with nothing, the SB, or NB (damaged, missing) lost; no
# ping lost, flows kept, ovn-controller alive, NB as before, every acknowledged write kept;
# then shape C (local files rebuilt at every takeover) through four power-offs.
cloud-scenarios: deps install
	ocf-tests/cloud-deps.sh
	ocf-tests/cluster/cloud-scenarios.sh
	CLOUD_SCENARIO_SHAPE=C ocf-tests/cluster/cloud-scenarios.sh

# The failover scenarios (ocf-tests/cluster/scenarios.sh), each with its failover time:
# standby, kill -9 and SIGSTOP of the daemons, fence, corosync kill, torn tail + fence;
# then the split brain with stonith disabled (split-brain.sh) and README's migration
# from ovndb-servers.ocf (migrate.sh).
cluster-smoke: deps install
	ocf-tests/cluster/scenarios.sh
	ocf-tests/cluster/split-brain.sh
	ocf-tests/cluster/migrate.sh

# Shape D's replication guards against the incumbent's documented failures, also part of
# make test (ocf-tests/cluster/replication-guards.sh): self-replication through the VIP,
# static promotion scores, a schema upgrade of the promoted node under a running
# standby, a planned switchover while the standby lags, and a node back from standby
# loading its first copy, then (3 nodes) which replica a power-off promotes while one is
# still loading its first copy, each first reproduced with OVN's ovndb-servers.ocf, then
# the same trigger against shape D; one 2-node namespace cluster per agent, each case run
# in the cluster the one before left (a fresh one after a case that did not pass), and a
# 3-node one per agent for the promotion choice; 12 cases, about 5 minutes here. One
# RESULT line per case.
replication-guards: deps install
	ocf-tests/cluster/replication-guards.sh

# A soak, not part of make test: SOAK_N (50) failovers in a row in one namespace cluster
# (README's shape SOAK_SHAPE, default A): kill -9 and SIGSTOP of the serving SB, power-off
# through the fence agent, standby; a writer through the VIP all along. Its section goes
# into BENCHMARKS.md between <!-- BEGIN soak --> and <!-- END soak --> (if it passed).
# SOAK_KINDS picks triggers (also kill-nb, kill-northd), a section of its own, e.g.
#   make soak SOAK_N=60 SOAK_KINDS="kill-sb kill-nb kill-northd"
soak: deps install
	ocf-tests/cluster/soak.sh --report target/soak.md --benchmarks BENCHMARKS.md

# No false failover under load (issue 14 item 3), not part of make test (its 60 s run is):
# README's shape A with its monitor settings in one namespace cluster, LOAD_MINUTES (5) of
# 200 simulated ovn-controllers (monitor_cond on the SB) and NB bursts through the VIP,
# plus a writer (ocf-tests/cluster/load.sh: its knobs). Passes with 0 failed actions and
# 0 failovers; its section goes into BENCHMARKS.md between <!-- BEGIN load --> and
# <!-- END load --> (if it passed). Runs the binary `make build` built, not an install.
load: deps build
	OVN_OCF_BIN=$${OVN_OCF_BIN:-$(CURDIR)/$(BIN)} LOAD_MINUTES=$(or $(LOAD_MINUTES),5) \
	  ocf-tests/cluster/load.sh --report target/load.md --benchmarks BENCHMARKS.md

# Regenerates README's parameter tables from the agents' tables.
readme: build
	for a in $(AGENTS); do \
	  $(BIN) params $$a > build.params.md && \
	  sed -i -e "/<!-- BEGIN params $$a -->/,/<!-- END params $$a -->/{//!d}" \
	         -e "/<!-- BEGIN params $$a -->/r build.params.md" README.md && \
	  rm -f build.params.md; \
	done

clean:
	$(CARGO) clean

# .deb, RPM, man pages: make deb | rpm | man | package-test (packaging/packaging.mk).
include packaging/packaging.mk
