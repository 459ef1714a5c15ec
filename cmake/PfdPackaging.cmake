# Installs what a user gets besides the executables (systemd user unit, man pages, shell
# completions, docs) and describes the Debian package that CPack builds from the install tree.
# `cmake --install BUILD --prefix P` lays the tree out under P; scripts/check-package.sh builds,
# inspects, installs and removes the .deb.

set(_pfd_packaging_dir ${PROJECT_SOURCE_DIR}/packaging)
set(_pfd_packaging_binary_dir ${PROJECT_BINARY_DIR}/packaging)

# --- systemd user unit --------------------------------------------------------------------------
# The unit names the installed pfd by its absolute path, which is only known at install time:
# `cmake --install --prefix` and CPack's staging choose the prefix after configuration. So the
# installed copy is configured at install time from the prefix in effect then (CPack sets
# CPACK_SET_DESTDIR below, so that prefix is the package's /usr, not its staging directory).
# A build-tree copy, whose ExecStart and ExecReload are the pfd and pfctl in this build, lets
# tests run `systemd-analyze verify` without installing anything. pfd and pfctl are built in
# different directories, so each path is substituted whole rather than through the bindir.
set(PFD_SYSTEMD_USER_UNIT_DIR lib/systemd/user
    CACHE STRING "Where the systemd user unit is installed, relative to the install prefix")

function(_pfd_configure_build_tree_unit)
  set(_template ${_pfd_packaging_dir}/systemd/pfd.service.in)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_template})
  file(READ ${_template} _unit)
  foreach(_program pfd pfctl)
    string(REGEX REPLACE "@CMAKE_INSTALL_FULL_BINDIR@/${_program}([ \n])"
                         "$<TARGET_FILE:${_program}>\\1" _unit "${_unit}")
  endforeach()
  if(_unit MATCHES "@CMAKE_INSTALL_FULL_BINDIR@")
    message(FATAL_ERROR "${_template} names a program in the bindir other than pfd and pfctl; "
                        "teach _pfd_configure_build_tree_unit where it is built")
  endif()
  file(GENERATE OUTPUT ${_pfd_packaging_binary_dir}/systemd/pfd.service CONTENT "${_unit}")
endfunction()
_pfd_configure_build_tree_unit()

install(CODE "
  if(IS_ABSOLUTE \"${CMAKE_INSTALL_BINDIR}\")
    set(CMAKE_INSTALL_FULL_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
  else()
    set(CMAKE_INSTALL_FULL_BINDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\")
  endif()
  # One staging file per destination, so that concurrent installs to different prefixes (tests
  # run in parallel) do not overwrite each other's unit.
  string(SHA1 _pfd_unit_key \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}\")
  set(_pfd_unit \"${_pfd_packaging_binary_dir}/install-\${_pfd_unit_key}/pfd.service\")
  configure_file(\"${_pfd_packaging_dir}/systemd/pfd.service.in\" \"\${_pfd_unit}\" @ONLY)
  file(INSTALL DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${PFD_SYSTEMD_USER_UNIT_DIR}\"
       TYPE FILE PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ FILES \"\${_pfd_unit}\")
  get_filename_component(_pfd_unit_dir \"\${_pfd_unit}\" DIRECTORY)
  file(REMOVE_RECURSE \"\${_pfd_unit_dir}\")
")

# --- man pages ----------------------------------------------------------------------------------
# Hand-written roff with the version filled in, then compressed as Debian installs man pages
# (gzip -n: no name or time stamp in the header, so the package is reproducible).
find_program(PFD_GZIP_PROGRAM gzip REQUIRED)
set(_pfd_man_pages pfd.1 pfctl.1 pfd.yaml.5)
set(_pfd_man_outputs)
foreach(page IN LISTS _pfd_man_pages)
  configure_file(${_pfd_packaging_dir}/man/${page} ${_pfd_packaging_binary_dir}/man/${page} @ONLY)
  add_custom_command(
    OUTPUT ${_pfd_packaging_binary_dir}/man/${page}.gz
    COMMAND ${PFD_GZIP_PROGRAM} -9 -n -f -k ${_pfd_packaging_binary_dir}/man/${page}
    DEPENDS ${_pfd_packaging_binary_dir}/man/${page}
    COMMENT "Compressing man page ${page}"
    VERBATIM)
  list(APPEND _pfd_man_outputs ${_pfd_packaging_binary_dir}/man/${page}.gz)
  string(REGEX REPLACE "^.*\\.([0-9])$" "\\1" _pfd_man_section ${page})
  install(FILES ${_pfd_packaging_binary_dir}/man/${page}.gz
          DESTINATION ${CMAKE_INSTALL_MANDIR}/man${_pfd_man_section})
endforeach()
add_custom_target(pfd_man_pages ALL DEPENDS ${_pfd_man_outputs})

# --- shell completions --------------------------------------------------------------------------
# The directories each shell's own Debian package searches for completions of other packages,
# which is right for the .deb (prefix /usr). Debian's zsh searches
# /usr/share/zsh/vendor-completions but, under /usr/local, only
# /usr/local/share/zsh/site-functions; fish searches /usr/share/fish/vendor_completions.d and,
# under /usr/local, only what XDG_DATA_DIRS names. A `cmake --install` to /usr/local (the default
# prefix) therefore wants -DPFD_ZSH_COMPLETION_DIR=share/zsh/site-functions; fish finds its
# completions there when XDG_DATA_DIRS includes /usr/local/share (its XDG default, which desktop
# sessions set).
set(PFD_ZSH_COMPLETION_DIR share/zsh/vendor-completions
    CACHE STRING "Where the zsh completions are installed, relative to the install prefix")
set(PFD_FISH_COMPLETION_DIR share/fish/vendor_completions.d
    CACHE STRING "Where the fish completions are installed, relative to the install prefix")
set(_pfd_completions ${_pfd_packaging_dir}/completions)
install(FILES ${_pfd_completions}/pfctl.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME pfctl)
install(FILES ${_pfd_completions}/pfd.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME pfd)
install(FILES ${_pfd_completions}/_pfctl ${_pfd_completions}/_pfd
        DESTINATION ${PFD_ZSH_COMPLETION_DIR})
install(FILES ${_pfd_completions}/pfctl.fish ${_pfd_completions}/pfd.fish
        DESTINATION ${PFD_FISH_COMPLETION_DIR})

# --- documentation ------------------------------------------------------------------------------
install(FILES ${PROJECT_SOURCE_DIR}/config/example.yaml ${PROJECT_SOURCE_DIR}/config/pfd.schema.json
              ${PROJECT_SOURCE_DIR}/docs/config.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
# Debian policy 12.5: every package ships its licence in the machine-readable copyright format.
install(FILES ${PROJECT_SOURCE_DIR}/packaging/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR})
# OPTIONAL: the README is the lead's to write; the package must not fail to build without it.
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} OPTIONAL)

# --- Debian package (CPack) ---------------------------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME pfd)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "pfd developers")
set(CPACK_PACKAGE_CONTACT "pfd developers <pfd-maintainers@example.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "self-healing kubectl port-forward supervisor")
# Install with DESTDIR=<staging> and CMAKE_INSTALL_PREFIX=/usr, so that paths configured at
# install time (the unit's ExecStart) are the ones the package installs to. With
# CPACK_SET_DESTDIR, CPACK_INSTALL_PREFIX is that prefix; it would default to the build's own
# CMAKE_INSTALL_PREFIX (/usr/local), where Debian packages must not put files.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/package)

set(CPACK_DEBIAN_PACKAGE_MAINTAINER "pfd developers <pfd-maintainers@example.invalid>")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.invalid/pfd")
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# The runtime libraries (gRPC, protobuf, abseil, libuv, yaml-cpp, libcurl, libsystemd, spdlog,
# fmt...) are derived from the binaries by dpkg-shlibdeps, so the list cannot drift from what is
# linked.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# The long description: CPack puts CPACK_PACKAGE_DESCRIPTION_SUMMARY before it as the synopsis,
# indents each line and turns an empty line into " ." (deb-control(5)).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "pfd reads a YAML list of port-forwards and keeps each alive: it runs one
kubectl port-forward (or any other port-forwarding program, such as ssh -L)
per forward, restarts it with exponential backoff when it exits or stops
forwarding, checks it with readiness probes (HTTP, TCP or a command), and
reloads the list when the file changes. pfctl shows the state of every
forward and stops, starts, restarts and follows them.

pfd runs as a systemd user service: systemctl --user enable --now pfd

kubectl is not packaged in Debian: install it from the Kubernetes project,
or name another port-forwarding command in the config.")

include(CPack)
