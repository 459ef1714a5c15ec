#!/usr/bin/zsh -f
# zsh_complete.zsh FPATH_DIR LINE: prints, one per line, the matches zsh's completion system
# offers for LINE (as if the user typed it and pressed Tab) with the completion functions in
# FPATH_DIR. It drives an interactive zsh on a pseudo-terminal (zpty) whose compadd also prints
# what it adds; a key bound to a widget prints a marker and exits once completion is done.
zmodload zsh/zpty || exit 2
zpty pfd_completion zsh -f -i
zpty -w pfd_completion "PS1=''; RPS1=''"
zpty -w pfd_completion "fpath=(${(q)1} \$fpath); autoload -U compinit; compinit -u -D"
zpty -w pfd_completion 'compadd() {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return $?; fi
  local -a hits; builtin compadd -A hits "$@"; (( $#hits )) || return 1
  local hit; for hit in $hits; do print -r -- "MATCH:$hit"; done
}'
zpty -w pfd_completion "zstyle ':completion:*' insert-tab false"
zpty -w pfd_completion 'finish() { zle -I; print -r -- "END""-OF-COMPLETION"; exit }'
zpty -w pfd_completion 'zle -N finish; bindkey "^X" finish; print -r -- "SET""UP-DONE"'
while zpty -r pfd_completion line; do [[ $line == *SETUP-DONE* ]] && break; done
zpty -w -n pfd_completion "$2"$'\t'
zpty -w -n pfd_completion $'\C-X'
while zpty -r pfd_completion line; do
  line=${line//$'\r'/}
  line=${line%$'\n'}
  [[ $line == *END-OF-COMPLETION* ]] && break
  [[ $line == *MATCH:* ]] && print -r -- ${line#*MATCH:}
done
zpty -d pfd_completion
