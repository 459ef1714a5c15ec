# bash completion for pfd, the port-forward supervisor. Installed as
# share/bash-completion/completions/pfd; needs nothing but bash.

_pfd() {
  local cur=${COMP_WORDS[COMP_CWORD]}
  local prev=""
  if ((COMP_CWORD > 0)); then
    prev=${COMP_WORDS[COMP_CWORD - 1]}
  fi
  # With '=' in COMP_WORDBREAKS (bash's default), "--log-level=de" arrives as three words.
  if [[ $prev == "=" ]] && ((COMP_CWORD > 1)); then
    prev=${COMP_WORDS[COMP_CWORD - 2]}
  elif [[ $cur == "=" ]]; then
    cur=""
  fi
  COMPREPLY=()

  case $prev in
    -c | --config)
      # YAML files and directories to walk into.
      compopt -o filenames 2> /dev/null
      mapfile -t COMPREPLY < <(
        compgen -d -- "$cur"
        compgen -f -X '!*.yaml' -- "$cur"
        compgen -f -X '!*.yml' -- "$cur"
      )
      return 0
      ;;
    -s | --socket)
      compopt -o filenames 2> /dev/null
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      return 0
      ;;
    --log-level)
      mapfile -t COMPREPLY < <(compgen -W "trace debug info warn error critical off" -- "$cur")
      return 0
      ;;
    --stop-grace-ms)
      return 0
      ;;
  esac
  mapfile -t COMPREPLY < <(compgen -W "-c --config -s --socket --log-level --stop-grace-ms --check
                                       -V --version -h --help" -- "$cur")
  return 0
}

complete -F _pfd pfd
