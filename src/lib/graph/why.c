/* why: differences between recorded and current step inputs. */
#include "why.h"
#include "hash.h"
#include "lists.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

struct file_diff {
	struct strlist *out;
	size_t n, max;
};

static void file_line(enum hash_change c, const char *path, void *data)
{
	struct file_diff *fd = data;
	static const char *const what[] = { "added", "removed", "changed" };
	char *line;

	if (fd->n++ >= fd->max)
		return;
	line = xasprintf("%s: %s", what[c], path);
	strlist_push(fd->out, line);
	free(line);
}

static void push_fmt(struct strlist *out, char *line)
{
	strlist_push(out, line);
	free(line);
}

static char *show(const json_t *v)
{
	if (!v || json_is_null(v))
		return xstrdup("(unset)");
	return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
}

/* Split text into lines (borrowing into a copy); *n lines. */
static char **split_lines(const char *text, char **copy, size_t *n)
{
	char **v = NULL, *p;
	size_t cap = 0;

	*n = 0;
	*copy = xstrdup(text ? text : "");
	for (p = *copy; *p;) {
		char *nl = strchr(p, '\n');

		VEC_PUSH(v, *n, cap, p);
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	return v;
}

/* Line diff by longest common subsequence; Dockerfiles are short. */
static size_t dockerfile_diff(const char *a, const char *b, struct strlist *out)
{
	cleanup_free char *ca = NULL, *cb = NULL;
	cleanup_free char **la = NULL, **lb = NULL;
	size_t na, nb, i, j, n = 0;
	unsigned *lcs;

	la = split_lines(a, &ca, &na);
	lb = split_lines(b, &cb, &nb);
	if (na > 4000 || nb > 4000) {
		strlist_push(out, "Dockerfile changed");
		return 1;
	}
	lcs = xcalloc((na + 1) * (nb + 1), sizeof(*lcs));
#define L(x, y) lcs[(x) * (nb + 1) + (y)]
	for (i = na; i-- > 0;)
		for (j = nb; j-- > 0;)
			L(i, j) = !strcmp(la[i], lb[j])	      ? L(i + 1, j + 1) + 1
				  : L(i + 1, j) > L(i, j + 1) ? L(i + 1, j)
							      : L(i, j + 1);
	for (i = j = 0; i < na || j < nb;) {
		if (i < na && j < nb && !strcmp(la[i], lb[j])) {
			i++, j++;
		} else if (j < nb && (i == na || L(i, j + 1) >= L(i + 1, j))) {
			push_fmt(out, xasprintf("Dockerfile line %zu: + %s", j + 1, lb[j]));
			j++, n++;
		} else {
			push_fmt(out, xasprintf("Dockerfile line %zu: - %s", j + 1, la[i]));
			i++, n++;
		}
	}
#undef L
	free(lcs);
	return n;
}

static const char *singular(const char *key)
{
	if (!strcmp(key, "args"))
		return "arg";
	if (!strcmp(key, "labels"))
		return "label";
	if (!strcmp(key, "bases"))
		return "base";
	return key;
}

static size_t object_diff(const char *key, const json_t *a, const json_t *b, struct strlist *out)
{
	const char *k;
	json_t *v;
	size_t n = 0;

	json_object_foreach((json_t *)a, k, v)
	{
		json_t *w = json_object_get(b, k);

		if (!w || !json_equal(v, w)) {
			cleanup_free char *sa = show(v), *sb = show(w);

			push_fmt(out, xasprintf("%s %s: %s -> %s", singular(key), k, sa, sb));
			n++;
		}
	}
	json_object_foreach((json_t *)b, k, v) if (!json_object_get(a, k))
	{
		cleanup_free char *sb = show(v);

		push_fmt(out, xasprintf("%s %s: (unset) -> %s", singular(key), k, sb));
		n++;
	}
	return n;
}

static size_t field_diff(const char *key, const json_t *a, const json_t *b, struct strlist *out)
{
	if (a && b && json_equal(a, b))
		return 0;
	if (!a && !b)
		return 0;
	if (!strcmp(key, "dockerfile") && json_is_string(a) && json_is_string(b))
		return dockerfile_diff(json_string_value(a), json_string_value(b), out);
	if ((json_is_object(a) || !a) && (json_is_object(b) || !b) && (a || b)) {
		json_t *e = json_object();
		size_t n = object_diff(key, a ? a : e, b ? b : e, out);

		json_decref(e);
		return n;
	}
	{
		cleanup_free char *sa = show(a), *sb = show(b);

		push_fmt(out, xasprintf("%s: %s -> %s", key, sa, sb));
	}
	return 1;
}

size_t why_diff(const json_t *old_inputs, const struct hash_manifest *old_files, const json_t *new_inputs,
		const struct hash_manifest *new_files, size_t max_files, struct strlist *out)
{
	struct file_diff fd = { out, 0, max_files };
	size_t n = 0;
	const char *k;
	json_t *v;

	if (old_files && new_files) {
		hash_manifest_diff(old_files, new_files, file_line, &fd);
		if (fd.n > max_files)
			push_fmt(out, xasprintf("... and %zu more files", fd.n - max_files));
		n += fd.n;
	}
	if (old_inputs && new_inputs) {
		json_object_foreach((json_t *)old_inputs, k, v) n +=
			field_diff(k, v, json_object_get(new_inputs, k), out);
		json_object_foreach((json_t *)new_inputs, k, v) if (!json_object_get(old_inputs, k)) n +=
			field_diff(k, NULL, v, out);
	}
	return n;
}

char *why_summary(const struct strlist *lines)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i, nfiles = 0, first = (size_t)-1;

	for (i = 0; i < lines->n; i++)
		if (!strncmp(lines->v[i], "changed: ", 9) || !strncmp(lines->v[i], "added: ", 7) ||
		    !strncmp(lines->v[i], "removed: ", 9)) {
			if (first == (size_t)-1)
				first = i;
			nfiles++;
		}
	if (nfiles == 1) {
		const char *l = lines->v[first], *colon = strchr(l, ':');

		strbuf_addf(&sb, "%s %.*s", colon + 2, (int)(colon - l), l);
	} else if (nfiles > 1) {
		strbuf_addf(&sb, "%zu files changed (%s", nfiles, strchr(lines->v[first], ':') + 2);
		for (i = first + 1; i < lines->n && i < first + 3; i++)
			if (strchr(lines->v[i], ':') && strncmp(lines->v[i], "...", 3))
				strbuf_addf(&sb, ", %s", strchr(lines->v[i], ':') + 2);
		strbuf_addstr(&sb, nfiles > 3 ? ", ...)" : ")");
	}
	for (i = 0; i < lines->n; i++) {
		const char *l = lines->v[i];

		if (!strncmp(l, "changed: ", 9) || !strncmp(l, "added: ", 7) || !strncmp(l, "removed: ", 9) ||
		    !strncmp(l, "...", 3))
			continue;
		if (!strncmp(l, "Dockerfile", 10)) {
			if (!sb.buf || !strstr(sb.buf, "Dockerfile"))
				strbuf_addf(&sb, "%sDockerfile changed", sb.buf ? "; " : "");
			continue;
		}
		strbuf_addf(&sb, "%s%.*s changed", sb.buf ? "; " : "",
			    (int)(strstr(l, ": ") ? (size_t)(strstr(l, ": ") - l) : strlen(l)), l);
		break;
	}
	return sb.buf ? sb.buf : xstrdup("inputs changed");
}
