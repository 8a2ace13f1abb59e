# Install layout and the Debian package (`cpack -G DEB` in the build folder).
#   /usr/bin/ztai, /usr/share/ztai/rules (the rule pack), /usr/share/man/man8/ztai.8.gz,
#   /etc/ztai/ztai.yaml (conffile), /etc/ztai/rules.d and /etc/ztai/policies.d (local, empty),
#   /lib/systemd/system/ztai.service, /usr/share/ztai/demo (`ztai demo`: its scripts, rules, policies and
#   the npm lock of tests/npm, installed into /var/cache/ztai/demo on first use).
include(GNUInstallDirs)

set(ZTAI_PACKAGING_DIR ${PROJECT_SOURCE_DIR}/packaging)
set(ZTAI_DEB_MAINTAINER "ztai maintainers <ztai-maintainers@users.noreply.github.com>"
    CACHE STRING "Maintainer field of the .deb")

install(FILES ${ZTAI_PACKAGING_DIR}/config/ztai.yaml DESTINATION /etc/ztai PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ
        WORLD_READ)
install(DIRECTORY DESTINATION /etc/ztai/rules.d)
install(DIRECTORY DESTINATION /etc/ztai/policies.d)
# Debian 12's systemd looks in /lib/systemd/system (the same folder as /usr/lib/... on merged-/usr).
install(FILES ${ZTAI_PACKAGING_DIR}/systemd/ztai.service DESTINATION /lib/systemd/system)
install(PROGRAMS ${ZTAI_PACKAGING_DIR}/demo/ztai-llm-server ${ZTAI_PACKAGING_DIR}/demo/outside_host.py
        DESTINATION ${CMAKE_INSTALL_DATADIR}/ztai/demo)
install(FILES ${ZTAI_PACKAGING_DIR}/demo/agent.cjs DESTINATION ${CMAKE_INSTALL_DATADIR}/ztai/demo)
install(DIRECTORY ${ZTAI_PACKAGING_DIR}/demo/rules ${ZTAI_PACKAGING_DIR}/demo/policies
        DESTINATION ${CMAKE_INSTALL_DATADIR}/ztai/demo)
# The demo drives the same pinned npm packages as the tests: one lock file, one installer.
install(PROGRAMS ${PROJECT_SOURCE_DIR}/tests/npm/install.sh DESTINATION ${CMAKE_INSTALL_DATADIR}/ztai/demo/npm)
install(FILES ${PROJECT_SOURCE_DIR}/tests/npm/package.json ${PROJECT_SOURCE_DIR}/tests/npm/package-lock.json
        DESTINATION ${CMAKE_INSTALL_DATADIR}/ztai/demo/npm)

# Debian wants man pages and changelogs compressed with gzip -9n (no name, no time: reproducible).
set(ZTAI_DOC_OUT ${CMAKE_CURRENT_BINARY_DIR}/packaging)
file(MAKE_DIRECTORY ${ZTAI_DOC_OUT})
string(TIMESTAMP ZTAI_CHANGELOG_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
file(WRITE ${ZTAI_DOC_OUT}/changelog
     "ztai (${PROJECT_VERSION}) unstable; urgency=medium\n\n  * Release ${PROJECT_VERSION}.\n\n"
     " -- ${ZTAI_DEB_MAINTAINER}  ${ZTAI_CHANGELOG_DATE}\n")
add_custom_command(OUTPUT ${ZTAI_DOC_OUT}/ztai.8.gz ${ZTAI_DOC_OUT}/changelog.gz
  COMMAND gzip -9nc ${ZTAI_PACKAGING_DIR}/man/ztai.8 > ${ZTAI_DOC_OUT}/ztai.8.gz
  COMMAND gzip -9nc ${ZTAI_DOC_OUT}/changelog > ${ZTAI_DOC_OUT}/changelog.gz
  DEPENDS ${ZTAI_PACKAGING_DIR}/man/ztai.8 ${ZTAI_DOC_OUT}/changelog VERBATIM)
add_custom_target(ztai_docs ALL DEPENDS ${ZTAI_DOC_OUT}/ztai.8.gz ${ZTAI_DOC_OUT}/changelog.gz)
install(FILES ${ZTAI_DOC_OUT}/ztai.8.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES ${ZTAI_PACKAGING_DIR}/deb/copyright ${ZTAI_DOC_OUT}/changelog.gz ${PROJECT_SOURCE_DIR}/README.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ztai)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT ${ZTAI_DEB_MAINTAINER})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "zero-trust runtime for AI workloads (eBPF sensors, rules, policies)")
set(CPACK_PACKAGE_DESCRIPTION
    "ztai observes process, file, network and DNS activity with eBPF, ties every event to its\n"
    "workload (container, Kubernetes pod, systemd unit, SPIFFE id), evaluates Falco-style rules\n"
    "and sends alerts to SIEMs: syslog, RELP, Splunk HEC, Elasticsearch, OTLP, webhook, Kafka.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library dependencies from the binary's ELF (dpkg-shlibdeps), not a list kept by hand.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# What `ztai demo` runs besides the agent; the agent itself needs none of them.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "nodejs, npm, python3, openssl, curl")
set(CPACK_STRIP_FILES ON)
# The conffiles list: dpkg keeps an edited /etc/ztai/ztai.yaml across upgrades and asks before
# replacing it; purge removes it.
file(WRITE ${ZTAI_DOC_OUT}/conffiles "/etc/ztai/ztai.yaml\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${ZTAI_DOC_OUT}/conffiles ${ZTAI_PACKAGING_DIR}/deb/postinst ${ZTAI_PACKAGING_DIR}/deb/prerm
    ${ZTAI_PACKAGING_DIR}/deb/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
