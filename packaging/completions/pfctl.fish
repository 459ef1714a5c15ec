# fish completion for pfctl, the client of pfd. Installed as
# share/fish/vendor_completions.d/pfctl.fish.
#
# Forward names come from the running pfd (`pfctl status -o json`); when pfd is not running, or
# does not answer within two seconds, names are simply not offered.

set -l __pfctl_commands status ls restart stop start logs watch describe tap reload version check

# The forward names pfd knows, one per line: asks the pfctl being completed, with its --socket.
function __pfctl_forward_names
    set -l tokens (commandline -opc)
    set -l command $tokens[1]
    set -l socket (string replace -r -- '^--socket=' '' (string match -r -- '^--socket=.*' $tokens))
    set -l index (contains -i -- --socket $tokens)
    and set socket $tokens[(math $index + 1)]
    test -n "$socket"; and set -a command --socket $socket[-1]
    set -a command status -o json
    command -q timeout; and set command timeout 2 $command
    # The JSON is protobuf's: one "name": "..." member per forward, and no other "name" key.
    $command 2>/dev/null </dev/null | string split -- ',' | string split -- '{' |
        string replace -rf -- '^\s*"name":\s*"([^"]*)".*$' '$1'
end

# Names not on the command line yet, unless --all is.
function __pfctl_unused_forward_names
    set -l tokens (commandline -opc)
    contains -- --all $tokens; and return
    for name in (__pfctl_forward_names)
        contains -- $name $tokens; or echo $name
    end
end

# True when the subcommand is logs (or describe, or tap) and it has its one name already.
function __pfctl_logs_has_name
    set -l tokens (commandline -opc)
    set -l after (contains -i -- logs $tokens)
    or set after (contains -i -- describe $tokens)
    or set after (contains -i -- tap $tokens)
    or return 1
    for token in $tokens[(math $after + 1)..-1]
        switch $token
            case '-*'
            case '*'
                return 0
        end
    end
    return 1
end

complete -c pfctl -f
complete -c pfctl -l socket -r -F -d "pfd's control socket"
complete -c pfctl -s h -l help -d 'Print help and exit'

complete -c pfctl -n "not __fish_seen_subcommand_from $__pfctl_commands" -a status \
    -d 'Show every forward (or the named ones) and its state'
complete -c pfctl -n "not __fish_seen_subcommand_from $__pfctl_commands" -a ls \
    -d 'Show every forward (or the named ones) and its state'
complete -c pfctl -n "not __fish_seen_subcommand_from $__pfctl_commands" -a restart \
    -d 'Replace the child of the named forwards now'
complete -c pfctl -n "not __fish_seen_subcommand_from $__pfctl_commands" -a stop \
    -d 'Stop the named forwards until they are started'
complete -c pfctl -n "not __fish_seen_subcommand_from $__pfctl_commands" -a start \
    -d 'Start stopped or failed forwards'
complete -c pfctl -n "not __fish_seen_subcommand_from $__pfctl_commands" -a logs \
    -d "Print the output a forward's child printed"
complete -c pfctl -n "not __fish_seen_subcommand_from $__pfctl_commands" -a watch \
    -d 'A live table of the forwards (event lines when piped)'
complete -c pfctl -n "not __fish_seen_subcommand_from $__pfctl_commands" -a describe \
    -d 'Show one forward in full, with its last events'
complete -c pfctl -n "not __fish_seen_subcommand_from $__pfctl_commands" -a tap \
    -d 'Show the bytes that flow through a forward, as socat -v does'
complete -c pfctl -n "not __fish_seen_subcommand_from $__pfctl_commands" -a reload \
    -d 'Read the config file again and apply it'
complete -c pfctl -n "not __fish_seen_subcommand_from $__pfctl_commands" -a version \
    -d 'Print the versions of pfctl and of the running pfd'
complete -c pfctl -n "not __fish_seen_subcommand_from $__pfctl_commands" -a check \
    -d 'Validate a config file without pfd'

complete -c pfctl -n '__fish_seen_subcommand_from status ls' -s o -l output -x \
    -a 'table wide json' -d 'Output format'
complete -c pfctl -n '__fish_seen_subcommand_from watch' -s o -l output -x \
    -a 'table json' -d 'Output format'
complete -c pfctl -n '__fish_seen_subcommand_from watch' -l events \
    -d 'One line per change, even on a terminal'
complete -c pfctl -n '__fish_seen_subcommand_from describe' -s o -l output -x \
    -a 'text json' -d 'Output format'
complete -c pfctl -n '__fish_seen_subcommand_from status ls' -l short \
    -d 'One line for prompts, from the summary file'
complete -c pfctl -n '__fish_seen_subcommand_from check' -r -F -d 'Config file'
complete -c pfctl -n '__fish_seen_subcommand_from restart stop start' -l all \
    -d 'Act on every forward'
complete -c pfctl -n '__fish_seen_subcommand_from logs' -s f -l follow \
    -d 'Keep printing new lines until Ctrl-C'
complete -c pfctl -n '__fish_seen_subcommand_from logs' -l tail -x -d 'Only the last N kept lines'
complete -c pfctl -n '__fish_seen_subcommand_from logs' -l timestamps \
    -d 'Prefix each line with the time it was printed'

complete -c pfctl -n '__fish_seen_subcommand_from status ls restart stop start watch' \
    -a '(__pfctl_unused_forward_names)' -d forward
complete -c pfctl -n '__fish_seen_subcommand_from tap' -l port -x \
    -d 'Only connections to this local port'
complete -c pfctl -n '__fish_seen_subcommand_from tap' -l max-bytes -x \
    -d 'Show at most N bytes of each chunk'
complete -c pfctl -n '__fish_seen_subcommand_from tap' -s x -l hex -d 'A hex dump, as socat -x'
complete -c pfctl -n '__fish_seen_subcommand_from tap' -l connections \
    -d 'Only connections opening and closing'
complete -c pfctl -n '__fish_seen_subcommand_from tap; and not __pfctl_logs_has_name' \
    -a '(__pfctl_forward_names)' -d forward
complete -c pfctl -n '__fish_seen_subcommand_from logs describe; and not __pfctl_logs_has_name' \
    -a '(__pfctl_forward_names)' -d forward
