import { Argument, type Command, type Option } from 'commander';

/** One command of the tree, as completion needs it. */
export interface CompletionNode {
  /** The words after `ballast` that name it: `''` for the root, `app list` for a subcommand. */
  path: string;
  /** Its subcommands, or the choices of its first argument (`completion bash|zsh`). */
  subcommands: readonly string[];
  /** Every spelling of every option: `-n`, `--namespace`. */
  options: readonly string[];
  /** The spellings of the options that take a value, so the word after them is skipped. */
  valued: readonly string[];
  /** Options whose value is one of a few words, e.g. `-o` → text, json. */
  choices: readonly { option: string; values: readonly string[] }[];
}

/** Every command of `program`, depth first, with what follows it. */
export function completionTree(program: Command): CompletionNode[] {
  const nodes: CompletionNode[] = [];
  const walk = (cmd: Command, path: string): void => {
    const help = cmd.createHelp();
    const options = help.visibleOptions(cmd);
    const spellings = (o: Option): string[] =>
      [o.short, o.long].filter((s): s is string => s !== undefined);
    const subcommands = help.visibleCommands(cmd);
    const argument = cmd.registeredArguments[0]?.argChoices ?? [];
    nodes.push({
      path,
      subcommands: [...subcommands.map((c) => c.name()), ...argument],
      options: options.flatMap(spellings),
      // An optional value (`--wait [seconds]`) is rarely given, so the next word is not skipped.
      valued: options.filter((o) => o.required).flatMap(spellings),
      choices: options.flatMap((o) =>
        o.argChoices === undefined
          ? []
          : spellings(o).map((option) => ({ option, values: o.argChoices ?? [] })),
      ),
    });
    for (const sub of cmd.commands) walk(sub, path === '' ? sub.name() : `${path} ${sub.name()}`);
  };
  walk(program, '');
  return nodes;
}

/** A shell `case` over the command path, printing `words(node)` for each. */
function caseOf(nodes: readonly CompletionNode[], words: (n: CompletionNode) => string): string {
  const arms = nodes
    .map((n) => ({ path: n.path, words: words(n) }))
    .filter((a) => a.words !== '')
    .map((a) => `    '${a.path}') echo '${a.words}' ;;`);
  return ['  case "$1" in', ...arms, '  esac'].join('\n');
}

/** The data functions both shells share: plain POSIX `case`, which bash and zsh read alike. */
function dataFunctions(nodes: readonly CompletionNode[]): string {
  const choiceArms = nodes.flatMap((n) =>
    n.choices.map((c) => `    '${n.path} ${c.option}') echo '${c.values.join(' ')}' ;;`),
  );
  return [
    `__ballast_commands() {\n${caseOf(nodes, (n) => n.subcommands.join(' '))}\n}`,
    `__ballast_options() {\n${caseOf(nodes, (n) => n.options.join(' '))}\n}`,
    `__ballast_valued() {\n${caseOf(nodes, (n) => n.valued.join(' '))}\n}`,
    `__ballast_choices() {\n  case "$1 $2" in\n${choiceArms.join('\n')}\n  esac\n}`,
  ].join('\n\n');
}

/**
 * Walks the words before the cursor: `cmdpath` becomes the command they name, and `pending`
 * is 1 when the last of them is an option that still wants its value. `$first` and `$last`
 * bound the words, whose array is `$words_` (bash's COMP_WORDS, zsh's words).
 */
const walkWords = `  local cmdpath='' word pending=0 i
  for ((i = first; i < last; i++)); do
    word="\${words_[i]}"
    if ((pending)); then pending=0; continue; fi
    case "$word" in
      --*=*) ;;
      -*) [[ " $(__ballast_valued "$cmdpath") " == *" $word "* ]] && pending=1 ;;
      *) [[ " $(__ballast_commands "$cmdpath") " == *" $word "* ]] &&
           cmdpath="\${cmdpath:+$cmdpath }$word" ;;
    esac
  done`;

/** `ballast completion bash`: source it, or put it in bash-completion's directory. */
export function bashScript(nodes: readonly CompletionNode[]): string {
  return `# bash completion for ballast. Load it with:
#   source <(ballast completion bash)
# or save it as ~/.local/share/bash-completion/completions/ballast
${dataFunctions(nodes)}

_ballast() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" first=1 last=$COMP_CWORD
  local -a words_=("\${COMP_WORDS[@]}")
${walkWords}
  COMPREPLY=()
  if ((pending)); then
    # An option's value: its choices, else bash's own file names (complete -o default).
    local choices
    choices="$(__ballast_choices "$cmdpath" "\${COMP_WORDS[COMP_CWORD-1]}")"
    [[ -n "$choices" ]] && mapfile -t COMPREPLY < <(compgen -W "$choices" -- "$cur")
    return 0
  fi
  if [[ "$cur" == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(__ballast_options "$cmdpath")" -- "$cur")
  else
    mapfile -t COMPREPLY < <(compgen -W "$(__ballast_commands "$cmdpath")" -- "$cur")
  fi
  return 0
}

complete -o default -F _ballast ballast
`;
}

/** `ballast completion zsh`: source it after compinit, or save it as _ballast on $fpath. */
export function zshScript(nodes: readonly CompletionNode[]): string {
  return `#compdef ballast
# zsh completion for ballast. Load it with (after compinit):
#   source <(ballast completion zsh)
# or save it as _ballast in a directory on $fpath.
${dataFunctions(nodes)}

_ballast() {
  local cur="\${words[CURRENT]}" first=2 last=$CURRENT
  local -a words_=("\${words[@]}")
${walkWords}
  local -a list
  if ((pending)); then
    list=(\${=$(__ballast_choices "$cmdpath" "\${words[CURRENT-1]}")})
    if ((\${#list})); then compadd -- "\${list[@]}"; else _files; fi
    return
  fi
  if [[ "$cur" == -* ]]; then
    list=(\${=$(__ballast_options "$cmdpath")})
    compadd -- "\${list[@]}"
    return
  fi
  list=(\${=$(__ballast_commands "$cmdpath")})
  if ((\${#list})); then compadd -- "\${list[@]}"; else _files; fi
}

if [[ "\${funcstack[1]}" == _ballast ]]; then
  _ballast "$@"
else
  compdef _ballast ballast
fi
`;
}

export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script: source <(ballast completion bash)')
    .addArgument(new Argument('<shell>', 'the shell to complete for').choices(['bash', 'zsh']))
    .action(async (shell: 'bash' | 'zsh') => {
      // This command alone was registered; the script covers every command.
      const { buildProgram } = await import('./program.js');
      const nodes = completionTree(await buildProgram([]));
      process.stdout.write(shell === 'bash' ? bashScript(nodes) : zshScript(nodes));
    });
}
