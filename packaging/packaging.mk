# Packaging targets, included by the top-level Makefile (which defines BIN, CARGO, HOST
# and `build`), or for development: make -f Makefile -f packaging/packaging.mk deb
#   make man            manual pages from the agents' tables     -> target/man/
#   make deb            the .deb (debhelper, packaging/debian)   -> target/deb/
#   make rpm            the .rpm (packaging/rpm/ovn-ocf.spec)    -> target/rpm/RPMS/
#   make package-test   build both, install/purge the .deb, query the .rpm (packaging/test.sh)
# Both packages build from a copy of the source tree (packaging/srctree.sh) with a cargo
# target directory of their own, target/pkg-cargo (shared by the two). Not this
# checkout's target/: cargo's fingerprints would then point at the copy's files, and a
# later `make build` here would call a stale binary fresh (seen: make install installed
# a binary older than the sources).

# Included before the top-level `all:`, this file must not take the default goal.
pkg_saved_goal := $(.DEFAULT_GOAL)

HOST     ?= $(shell rustc -vV 2>/dev/null | sed -n 's/^host: //p')
CARGO    ?= cargo
PKG_BIN   = $(or $(BIN),target/$(HOST)/release/ovn-ocf)
PKG_VERSION := $(shell sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n 1)
PKG_DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null)
PKG_DEB  := target/deb/ovn-ocf_$(PKG_VERSION)-1_$(PKG_DEB_ARCH).deb
PKG_RPM_TOP := $(CURDIR)/target/rpm

.PHONY: man deb rpm package-test package-version-check

# Cargo.toml is the version's one source; the changelog and the spec must agree with it.
package-version-check:
	@deb=$$(dpkg-parsechangelog -l packaging/debian/changelog -S Version) && \
	rpm=$$(sed -n 's/^Version: *//p' packaging/rpm/ovn-ocf.spec) && \
	if [ "$${deb%-*}" != "$(PKG_VERSION)" ] || [ "$$rpm" != "$(PKG_VERSION)" ]; then \
	  echo "packaging: Cargo.toml says $(PKG_VERSION), packaging/debian/changelog $$deb," \
	       "packaging/rpm/ovn-ocf.spec $$rpm: add a changelog entry" \
	       "(dch -c packaging/debian/changelog -v $(PKG_VERSION)-1, or by hand) and set the spec's" \
	       "Version: and %changelog" >&2; \
	  exit 1; \
	fi

man: build
	rm -rf target/man
	mkdir -p target/man
	for f in $$($(PKG_BIN) man --list); do \
	  $(PKG_BIN) man "$${f%.*}" > target/man/$$f || exit 1; \
	done

# -d: the Rust toolchain is rustup's (on PATH), not Debian's cargo/rustc (too old on 12).
# target/pkg-cargo starts as a copy of this checkout's release build when there is one
# (`make install`'s, in make test): the copied tree keeps the sources' mtimes, so cargo
# finds every artefact whose sources did not change fresh and rebuilds the rest, as it
# would here (make test: the package build 1.5 min less). A copy, not the directory
# itself, for the reason above.
deb: package-version-check
	rm -rf target/deb target/pkg-cargo
	mkdir -p target/pkg-cargo/$(HOST)
	if [ -d target/$(HOST)/release ]; then \
	  cp -a target/$(HOST)/release target/pkg-cargo/$(HOST)/ && \
	  if [ -d target/release ]; then cp -a target/release target/pkg-cargo/; fi; \
	fi
	packaging/srctree.sh target/deb/build/ovn-ocf-$(PKG_VERSION)
	cp -a packaging/debian target/deb/build/ovn-ocf-$(PKG_VERSION)/debian
	cd target/deb/build/ovn-ocf-$(PKG_VERSION) && \
	  CARGO_TARGET_DIR=$(CURDIR)/target/pkg-cargo CARGO=$(CARGO) dpkg-buildpackage -b -uc -us -d
	mv target/deb/build/*.deb target/deb/build/*.buildinfo target/deb/build/*.changes target/deb/
	@echo "deb: $(PKG_DEB)"

# --nodeps: on Debian, rpm cannot see the (Debian-installed) BuildRequires. Debian's
# brp-compress is broken (bash's `read -d` under dash): skip it there, the man pages
# stay uncompressed either way.
PKG_RPM_DEFINES := --define "_topdir $(PKG_RPM_TOP)" \
  $(if $(wildcard /etc/debian_version),--define "__brp_compress /bin/true")
rpm: package-version-check
	rm -rf $(PKG_RPM_TOP)
	mkdir -p $(PKG_RPM_TOP)/SOURCES $(PKG_RPM_TOP)/stage
	packaging/srctree.sh $(PKG_RPM_TOP)/stage/ovn-ocf-$(PKG_VERSION)
	tar -C $(PKG_RPM_TOP)/stage -czf $(PKG_RPM_TOP)/SOURCES/ovn-ocf-$(PKG_VERSION).tar.gz \
	  ovn-ocf-$(PKG_VERSION)
	rm -rf $(PKG_RPM_TOP)/stage
	CARGO_TARGET_DIR=$(CURDIR)/target/pkg-cargo CARGO=$(CARGO) rpmbuild -bb --nodeps \
	  $(PKG_RPM_DEFINES) packaging/rpm/ovn-ocf.spec
	@echo "rpm: $$(ls $(PKG_RPM_TOP)/RPMS/*/ovn-ocf-$(PKG_VERSION)-*.rpm)"

# Installs and purges the .deb, so it takes over the agent links of `make install` for a
# while; it puts them back (make install) at its end.
package-test: man deb rpm
	MAKE="$(MAKE)" packaging/test.sh --deb $(PKG_DEB) --man-dir target/man \
	  --rpm "$$(ls $(PKG_RPM_TOP)/RPMS/*/ovn-ocf-$(PKG_VERSION)-*.rpm)"

.DEFAULT_GOAL := $(pkg_saved_goal)
