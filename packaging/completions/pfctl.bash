# bash completion for pfctl, the client of pfd. Installed as
# share/bash-completion/completions/pfctl; needs nothing but bash (bash-completion's helpers are
# not used, so it also works when sourced by hand).
#
# Forward names come from the running pfd (`pfctl status -o json`); when pfd is not running, or
# does not answer within two seconds, names are simply not offered.

_pfctl_subcommands="status ls restart stop start logs watch describe tap reload version check"

# The forward names pfd knows, one per line. Uses the pfctl being completed and its --socket, so
# that `./build/pfctl --socket /tmp/x.sock stop <TAB>` asks the right daemon.
_pfctl_forward_names() {
  local program=$1 socket=$2
  local -a command=("$program")
  if [[ -n $socket ]]; then
    command+=(--socket "$socket")
  fi
  command+=(status -o json)
  if type -P timeout > /dev/null 2>&1; then
    command=(timeout 2 "${command[@]}")
  fi
  # The JSON is protobuf's: one "name": "..." member per forward, and no other "name" key in the
  # response. Splitting on '{' and ',' also copes with JSON printed on one line.
  # shellcheck disable=SC2020 # both characters become a newline
  "${command[@]}" 2> /dev/null < /dev/null |
    tr '{,' '\n\n' |
    sed -n 's/^[[:space:]]*"name":[[:space:]]*"\([^"]*\)".*$/\1/p'
}

_pfctl() {
  local cur=${COMP_WORDS[COMP_CWORD]}
  local prev=""
  if ((COMP_CWORD > 0)); then
    prev=${COMP_WORDS[COMP_CWORD - 1]}
  fi
  # With '=' in COMP_WORDBREAKS (bash's default), "--output=js" arrives as "--output" "=" "js".
  local before_prev=""
  if ((COMP_CWORD > 1)); then
    before_prev=${COMP_WORDS[COMP_CWORD - 2]}
  fi
  if [[ $prev == "=" ]]; then
    prev=$before_prev
  elif [[ $cur == "=" ]]; then
    cur=""
  fi
  COMPREPLY=()

  # Find the subcommand, the --socket value and the names already given, skipping option values.
  local program=${COMP_WORDS[0]} socket="" subcommand="" word i
  local -a given=()
  local all=0
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    case $word in
      --socket)
        socket=${COMP_WORDS[i + 1]}
        if [[ $socket == "=" ]]; then
          socket=${COMP_WORDS[i + 2]}
          ((i++))
        fi
        ((i++))
        ;;
      --socket=*) socket=${word#--socket=} ;;
      -o | --output | --tail | --port | --max-bytes)
        ((i++))
        [[ ${COMP_WORDS[i]} == "=" ]] && ((i++))
        ;;
      --all) all=1 ;;
      -*) ;;
      *)
        if [[ -z $subcommand ]]; then
          subcommand=$word
        else
          given+=("$word")
        fi
        ;;
    esac
  done
  # Words are not expanded yet: a ~/ in the program or the socket is expanded as the shell would.
  # shellcheck disable=SC2088 # the literal tilde is what we look for
  if [[ $program == "~/"* ]]; then
    program=$HOME/${program#"~/"}
  fi
  # shellcheck disable=SC2088
  if [[ $socket == "~/"* ]]; then
    socket=$HOME/${socket#"~/"}
  fi

  case $prev in
    --socket)
      compopt -o filenames 2> /dev/null
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      return 0
      ;;
    -o | --output)
      case $subcommand in
        status | ls) mapfile -t COMPREPLY < <(compgen -W "table wide json" -- "$cur") ;;
        watch) mapfile -t COMPREPLY < <(compgen -W "table json" -- "$cur") ;;
        describe) mapfile -t COMPREPLY < <(compgen -W "text json" -- "$cur") ;;
      esac
      return 0
      ;;
    --tail | --port | --max-bytes)
      return 0
      ;;
  esac

  local options="--socket -h --help"
  local names_wanted=0
  case $subcommand in
    "")
      if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$options" -- "$cur")
      else
        mapfile -t COMPREPLY < <(compgen -W "$_pfctl_subcommands" -- "$cur")
      fi
      return 0
      ;;
    status | ls)
      options+=" -o --output --short"
      names_wanted=1
      ;;
    restart | stop | start)
      options+=" --all"
      ((all == 0)) && names_wanted=1
      ;;
    logs)
      options+=" -f --follow --tail --timestamps"
      ((${#given[@]} == 0)) && names_wanted=1
      ;;
    watch)
      options+=" --events -o --output"
      names_wanted=1
      ;;
    describe)
      options+=" -o --output"
      ((${#given[@]} == 0)) && names_wanted=1
      ;;
    tap)
      options+=" --port --max-bytes -x --hex --connections"
      ((${#given[@]} == 0)) && names_wanted=1
      ;;
    reload | version) ;;
    check)
      # The config file to check: YAML files and directories.
      if [[ $cur != -* ]]; then
        compopt -o filenames 2> /dev/null
        mapfile -t COMPREPLY < <(
          compgen -d -- "$cur"
          compgen -f -X '!*.yaml' -- "$cur"
          compgen -f -X '!*.yml' -- "$cur"
        )
        return 0
      fi
      ;;
    *) return 0 ;;
  esac

  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$options" -- "$cur")
    return 0
  fi
  if ((names_wanted)); then
    local name candidates="" seen
    while IFS= read -r name; do
      # Offer each forward once: not the ones already on the command line.
      seen=0
      for word in "${given[@]}"; do
        [[ $word == "$name" ]] && seen=1
      done
      ((seen)) || candidates+=" $name"
    done < <(_pfctl_forward_names "$program" "$socket")
    mapfile -t COMPREPLY < <(compgen -W "$candidates" -- "$cur")
  fi
  return 0
}

complete -F _pfctl pfctl
