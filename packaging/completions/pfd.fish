# fish completion for pfd, the port-forward supervisor. Installed as
# share/fish/vendor_completions.d/pfd.fish.

complete -c pfd -f
complete -c pfd -s h -l help -d 'Print help and exit'
complete -c pfd -s V -l version -d 'Print the version and exit'
complete -c pfd -s c -l config -r -F -d 'The forward list (YAML)'
complete -c pfd -s s -l socket -r -F -d 'Control socket'
complete -c pfd -l log-level -x -a 'trace debug info warn error critical off' -d 'Log level'
complete -c pfd -l stop-grace-ms -x -d 'How long a child gets after SIGTERM before SIGKILL (ms)'
complete -c pfd -l check -d 'Validate the config and exit, starting nothing'
