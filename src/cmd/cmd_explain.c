/*
 * cmd_explain: `mvbuild explain TARGET`: up to date, or which inputs
 * changed; with --json one object: target, up_to_date, the nodes explained
 * and each changed input.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cmd/cli.h"
#include "engine/engine.h"
#include "base/json.h"

static void add_nodes(struct buf *b, const struct explain *x)
{
	json_add_key(b, "nodes");
	buf_addc(b, '[');
	for (size_t i = 0; i < x->n_nodes; i++) {
		if (i)
			buf_addc(b, ',');
		buf_addc(b, '{');
		json_add_member_string(b, "node", x->nodes[i].node);
		json_add_member_string(b, "state", x->nodes[i].state);
		json_add_member_string(b, "message", x->nodes[i].message);
		buf_addc(b, '}');
	}
	buf_addc(b, ']');
}

static void add_changes(struct buf *b, const struct explain *x)
{
	json_add_key(b, "changes");
	buf_addc(b, '[');
	for (size_t i = 0; i < x->n_changes; i++) {
		const struct explain_change *c = &x->changes[i];
		if (i)
			buf_addc(b, ',');
		buf_addc(b, '{');
		json_add_member_string(b, "node", c->node);
		json_add_member_string(b, "label", c->label);
		json_add_member_string(b, "change", c->change);
		json_add_member_string(b, "old", c->old_value);
		json_add_member_string(b, "new", c->new_value);
		json_add_member_string(b, "where", c->where);
		buf_addc(b, '}');
	}
	buf_addc(b, ']');
}

static void print_json(const struct node *target, const struct explain *x, bool up_to_date)
{
	struct buf b = BUF_INIT;
	buf_addc(&b, '{');
	json_add_member_string(&b, "target", target->id);
	json_add_member_bool(&b, "up_to_date", up_to_date);
	add_nodes(&b, x);
	add_changes(&b, x);
	cli_print_json(&b);
}

static int cmd_explain(struct mvctx *ctx, struct cli_args *args)
{
	struct error err = ERROR_INIT;
	struct node **targets = NULL;
	size_t n = 0;
	struct explain x = EXPLAIN_INIT;
	int status = EXIT_OK, ret = -1;
	if (engine_resolve(args->engine, args->words, 1, &targets, &n, &err) == 0)
		ret = engine_explain_report(args->engine, targets[0], &x, &err);
	if (ret < 0)
		status = cli_fail(ctx, &err);
	else if (ctx->json)
		print_json(targets[0], &x, ret == 1);
	else
		fputs(x.text.data, stdout);
	engine_explain_release(&x);
	free(targets);
	return status;
}

const struct command command_explain = {
	.name = "explain",
	.args = "TARGET",
	.summary = "say whether a target is up to date, and what changed",
	.help = "Compare TARGET's inputs with those of its last build and print each\n"
		"difference, or that it is up to date.  With --json, one object:\n"
		"target, up_to_date, nodes (node, state, message) and changes (node,\n"
		"label, change, old, new, where).  Exit 0 either way.\n",
	.min_words = 1,
	.max_words = 1,
	.needs = NEEDS_RECIPE | NEEDS_CACHE | NEEDS_ENGINE,
	.run = cmd_explain,
};
