# shellcheck shell=bash disable=SC2154,SC1007  # set by shell.py; `a= b=` empties both, on purpose
# Sourced by each page's bash (execution/shell.py) at its start, and again, after
# its saved state, when it has replaced itself; shell.py fills in the @NAME@ words.
# It reports "p PID" when ready; each command "d STATUS" when done, or "x STATUS"
# when it left the shell (which then saved its state to state.sh and became a fresh
# bash reading the same instructions).
__verify_pid=$BASHPID
__verify_dir=@DIR@
BASH_ARGV0=bash
__verify_command=@COMMAND@ __verify_output=@OUTPUT@
__verify_go() { __verify_busy=1; return "$1"; }
__verify_go_tty() { __verify_busy=1 __verify_tty=1 __verify_term=${TERM-__verify_none}; return "$1"; }
__verify_done() {
  __verify_busy= __verify_tty=
  \builtin disown -a
  \builtin printf 'd %s\n' "$1" >&251
}
__verify_interrupt() { if [[ -n ${__verify_busy-} ]]; then \builtin exit 130; fi; }
__verify_save() {
  \builtin printf 'cd -- %q\n' "$PWD"
  \builtin compgen -v >|"$__verify_dir/names"
  \builtin mapfile -t __verify_names <"$__verify_dir/names"
  for __verify_name in "${__verify_names[@]}"; do
    case $__verify_name in @SKIP@) continue ;; esac
    \builtin declare -p "$__verify_name"
  done
  \builtin declare -f
  \builtin alias -p
  \builtin shopt -p
  \builtin trap -p
  \builtin set +o
  case $__verify_flags in *e*) \builtin echo 'set -e' ;; esac
  case $__verify_flags in *u*) \builtin echo 'set -u' ;; esac
  case $__verify_flags in *x*) \builtin echo 'set -x' ;; esac
}
__verify_exit() {
  __verify_status=$? __verify_flags=$-
  \builtin set +eux
  if [[ $BASHPID != "$__verify_pid" || -z ${__verify_busy-} ]]; then return 0; fi
  \builtin trap '' URG  # more interrupts would cut the saving short
  if [[ -n ${__verify_tty-} ]]; then
    if [[ $__verify_term == __verify_none ]]; then \builtin unset TERM; else TERM=$__verify_term; fi
  fi
  __verify_save >|"$__verify_dir/state.sh" 2>/dev/null
  \builtin printf 'x %s\n' "$__verify_status" >&251
  \builtin trap - URG  # (ignored by default, and trappable again in the next shell)
  \builtin exec @BASH@ --noprofile --norc /dev/fd/250 </dev/null >&252 2>&252
}
\builtin trap __verify_exit EXIT
\builtin trap __verify_interrupt URG
\builtin printf 'p %s\n' "$BASHPID" >&251
