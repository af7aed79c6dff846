/*
 * cmd_completion: `mvbuild completion bash` prints a bash completion
 * script generated from the command and option tables, so it completes
 * exactly what the parser accepts; `mvbuild completion words KIND` lists
 * the recipe's targets, profiles or sources for it at completion time.
 */
#include <stdio.h>
#include <string.h>

#include "engine/builder.h"
#include "cmd/cli.h"
#include "engine/engine.h"
#include "recipe/recipe.h"

/* print the visible options of table as words; with_value: only those taking a value */
static void print_options(const struct cli_option *table, bool with_value)
{
	for (const struct cli_option *o = table; o && o->type != CLI_OPTION_END; o++) {
		if (!o->help || (with_value && !cli_options_takes_value(o)))
			continue;
		printf(" --%s", o->long_name);
		if (o->short_name)
			printf(" -%c", o->short_name);
	}
}

static const char script_body[] =
	"_mvbuild() {\n"
	"\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev= cmd= i w pass=() pre=\n"
	"\t((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
	"\t# readline splits image:rootfs at ':': complete the whole word, hand back its tail\n"
	"\tif [[ -n ${COMP_LINE-} && $COMP_WORDBREAKS == *:* ]]; then\n"
	"\t\tw=${COMP_LINE:0:COMP_POINT}\n"
	"\t\tcur=${w##*[[:space:]]}\n"
	"\t\t[[ $cur == *:* ]] && pre=${cur%\"${cur##*:}\"}\n"
	"\t\t[[ $prev == : ]] && prev=\n"
	"\tfi\n"
	"\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	"\t\tw=${COMP_WORDS[i]}\n"
	"\t\tcase \" $_mvbuild_value_options \" in\n"
	"\t\t*\" $w \"*)\n"
	"\t\t\tcase $w in -f | --file | --cache | --config) pass+=(\"$w\" \"${COMP_WORDS[i + 1]}\") ;; esac\n"
	"\t\t\t((i++))\n"
	"\t\t\tcontinue ;;\n"
	"\t\tesac\n"
	"\t\tcase $w in\n"
	"\t\t--file=* | --cache=* | --config=*) pass+=(\"$w\") ;;\n"
	"\t\t-*) ;;\n"
	"\t\t*) [[ -z $cmd ]] && cmd=$w ;;\n"
	"\t\tesac\n"
	"\tdone\n"
	"\tcase $prev in\n"
	"\t-f | --file | --config) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n"
	"\t--cache) COMPREPLY=($(compgen -d -- \"$cur\")); return ;;\n"
	"\tesac\n"
	"\tif [[ -n $prev && \" $_mvbuild_value_options \" == *\" $prev \"* ]]; then\n"
	"\t\tCOMPREPLY=()\n"
	"\t\treturn\n"
	"\tfi\n"
	"\tif [[ $cur == -* ]]; then\n"
	"\t\tCOMPREPLY=($(compgen -W \"$_mvbuild_global_options $(_mvbuild_command_options \"$cmd\")\" -- \"$cur\"))\n"
	"\t\treturn\n"
	"\tfi\n"
	"\tcase $cmd in\n"
	"\t'') w=$_mvbuild_commands ;;\n"
	"\thelp) w=$_mvbuild_commands ;;\n"
	"\tbuild | explain | path) w=$(\"${COMP_WORDS[0]}\" \"${pass[@]}\" completion words targets 2>/dev/null) ;;\n"
	"\trun) w=$(\"${COMP_WORDS[0]}\" \"${pass[@]}\" completion words profiles 2>/dev/null) ;;\n"
	"\tfetch) w=$(\"${COMP_WORDS[0]}\" \"${pass[@]}\" completion words sources 2>/dev/null) ;;\n"
	"\tcompletion) w='bash words' ;;\n"
	"\t*) w= ;;\n"
	"\tesac\n"
	"\tCOMPREPLY=($(compgen -W \"$w\" -- \"$cur\"))\n"
	"\t[[ -n $pre ]] && COMPREPLY=(\"${COMPREPLY[@]#\"$pre\"}\")\n"
	"\treturn 0\n"
	"}\n"
	"complete -F _mvbuild mvbuild\n";

static void print_script(void)
{
	const struct command *const *cmds;
	size_t n = cli_commands(&cmds);
	puts("# bash completion for mvbuild, made by `mvbuild completion bash` from its option tables");
	fputs("_mvbuild_commands='", stdout);
	for (size_t i = 0; i < n; i++)
		printf("%s%s", i ? " " : "", cmds[i]->name);
	fputs("'\n_mvbuild_global_options='", stdout);
	print_options(cli_global_options(), false);
	fputs("'\n# options that take a value, whose value is not a command\n_mvbuild_value_options='", stdout);
	print_options(cli_global_options(), true);
	for (size_t i = 0; i < n; i++)
		print_options(cmds[i]->options, true);
	fputs("'\n_mvbuild_command_options() {\n\tcase $1 in\n", stdout);
	for (size_t i = 0; i < n; i++) {
		if (!cli_options_any(cmds[i]->options))
			continue;
		printf("\t%s) echo '", cmds[i]->name);
		print_options(cmds[i]->options, false);
		fputs("' ;;\n", stdout);
	}
	fputs("\tesac\n}\n", stdout);
	fputs(script_body, stdout);
}

/* print the words of kind for the script: commands, or the recipe's targets, profiles, sources */
static int print_words(struct mvctx *ctx, struct cli_args *args, const char *kind)
{
	struct error err = ERROR_INIT;
	const struct command *const *cmds;
	if (strcmp(kind, "commands") == 0) {
		for (size_t i = 0, n = cli_commands(&cmds); i < n; i++)
			puts(cmds[i]->name);
		return EXIT_OK;
	}
	bool targets = strcmp(kind, "targets") == 0, profiles = strcmp(kind, "profiles") == 0,
	     sources = strcmp(kind, "sources") == 0;
	if (!targets && !profiles && !sources)
		return cli_usage(ctx, &command_completion, "unknown kind '%s' (commands, targets, "
				 "profiles, sources)", kind);
	if (cli_setup(ctx, args, NEEDS_RECIPE | NEEDS_ENGINE, &err) < 0)
		return cli_fail(ctx, &err);
	struct node *const *nodes;
	size_t n = engine_nodes(args->engine, &nodes);
	for (size_t i = 0; i < n; i++) {
		if (targets)
			puts(nodes[i]->id);
		else if ((profiles && nodes[i]->kind == NODE_LAUNCH) ||
			 (sources && nodes[i]->kind == NODE_SOURCE))
			puts(nodes[i]->name);
	}
	return EXIT_OK;
}

static int cmd_completion(struct mvctx *ctx, struct cli_args *args)
{
	const char *what = args->words[0];
	if (strcmp(what, "bash") == 0 && args->n_words == 1) {
		print_script();
		return EXIT_OK;
	}
	if (strcmp(what, "words") == 0 && args->n_words == 2)
		return print_words(ctx, args, args->words[1]);
	return cli_usage(ctx, &command_completion, "expected 'bash' or 'words KIND'");
}

const struct command command_completion = {
	.name = "completion",
	.args = "bash | words KIND",
	.summary = "print a bash completion script",
	.help = "'completion bash' prints a bash completion script for commands, options,\n"
		"targets, profiles and sources ('make install' installs it; or\n"
		"'source <(mvbuild completion bash)').  'completion words KIND' prints\n"
		"what the script completes from the recipe (-f) at completion time, one\n"
		"per line: commands, targets, profiles or sources.\n",
	.min_words = 1,
	.max_words = 2,
	.run = cmd_completion,
};
