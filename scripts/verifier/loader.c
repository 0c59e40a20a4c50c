// SPDX-License-Identifier: MIT
/*
 * bpf-kptr verifier loader: asks the running kernel about every program of a
 * BPF object file, one program at a time, and prints one JSON object per
 * program on its own line:
 *
 *   {"object":..., "name":..., "section":..., "type":..., "verdict":...,
 *    "stage":..., "reason":..., "log":..., "libbpf":...}
 *
 * verdict is "loaded", "rejected" (the verifier refused it: "log" holds the
 * verifier log and "reason" its error line) or "not-checkable" (the program
 * never reached a verdict of the verifier on this machine: "stage" says where
 * it stopped and "reason" why, "libbpf" holds libbpf's warnings).
 *
 * Usage: loader [--log-size BYTES] [--log-level N] OBJECT.o [PROGRAM...]
 * Exit status: 0 when every program got a line, 2 for a bad object or usage,
 * 3 when this process may not use bpf() at all.
 *
 * How one program is judged on its own:
 *   - the object is opened afresh from an in-memory copy of the file;
 *   - every other program gets autoload off, this one autoload on, so that
 *     programs in SEC("?...") sections are judged too;
 *   - kfunc externs are made weak in that copy: a kfunc this kernel lacks then
 *     only breaks the programs that call it, not the whole object;
 *   - for a struct_ops program, the struct_ops maps are cut down in that copy
 *     to refer to this program only (libbpf loads every program a struct_ops
 *     map refers to); for any other program, struct_ops maps are not created;
 *   - libbpf first loads without a log and, when that fails, loads again with
 *     our large log buffer, so a rejection always comes with its log.
 */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

/* ---- small growing string buffer ---------------------------------------- */

struct text {
	char *s;
	size_t len, cap;
};

static void text_reset(struct text *t)
{
	t->len = 0;
	if (t->s)
		t->s[0] = '\0';
}

static void text_vappend(struct text *t, const char *fmt, va_list ap)
{
	va_list copy;
	int n;

	va_copy(copy, ap);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		return;
	if (t->len + n + 1 > t->cap) {
		size_t cap = (t->len + n + 1) * 2;
		char *s = realloc(t->s, cap);

		if (!s)
			return;
		t->s = s;
		t->cap = cap;
	}
	vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
	t->len += n;
}

/* libbpf's warnings for the load in progress; debug chatter is dropped. */
static struct text warnings;

static void text_append(struct text *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	text_vappend(t, fmt, ap);
	va_end(ap);
}

/* Set BPF_KPTR_LOADER_DEBUG=1 to see all of libbpf's output on stderr. */
static bool debug;

static int collect_libbpf_output(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (debug) {
		va_list copy;

		va_copy(copy, ap);
		vfprintf(stderr, fmt, copy);
		va_end(copy);
	}
	if (level == LIBBPF_WARN)
		text_vappend(&warnings, fmt, ap);
	return 0;
}

/* ---- JSON output -------------------------------------------------------- */

static void json_string(const char *s)
{
	if (!s) {
		fputs("null", stdout);
		return;
	}
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", stdout); break;
		case '\\': fputs("\\\\", stdout); break;
		case '\n': fputs("\\n", stdout); break;
		case '\t': fputs("\\t", stdout); break;
		case '\r': fputs("\\r", stdout); break;
		default:
			if (*p < 0x20)
				printf("\\u%04x", *p);
			else
				putchar(*p);
		}
	}
	putchar('"');
}

static void json_field(const char *key, const char *value, bool last)
{
	json_string(key);
	putchar(':');
	json_string(value);
	if (!last)
		putchar(',');
}

/* ---- the object file, as bytes we may edit ------------------------------ */

struct image {
	unsigned char *bytes;
	size_t size;
};

static int read_file(const char *path, struct image *img)
{
	FILE *f = fopen(path, "rb");
	long size;

	if (!f)
		return -errno;
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return -EIO;
	}
	img->bytes = malloc(size ? size : 1);
	img->size = size;
	if (!img->bytes || fread(img->bytes, 1, size, f) != (size_t)size) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	return 0;
}

static Elf64_Shdr *section(const struct image *img, unsigned idx)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img->bytes;

	if (idx >= eh->e_shnum)
		return NULL;
	return (Elf64_Shdr *)(img->bytes + eh->e_shoff + (size_t)idx * eh->e_shentsize);
}

static const char *section_name(const struct image *img, const Elf64_Shdr *sh)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img->bytes;

	return (const char *)img->bytes + section(img, eh->e_shstrndx)->sh_offset + sh->sh_name;
}

/* Checks just enough of the header for the walks below to stay in bounds. */
static bool is_bpf_elf(const struct image *img)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img->bytes;

	if (img->size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_BPF || eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    eh->e_shoff + (size_t)eh->e_shnum * sizeof(Elf64_Shdr) > img->size ||
	    eh->e_shstrndx >= eh->e_shnum)
		return false;
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		const Elf64_Shdr *sh = section(img, i);

		if (sh->sh_type != SHT_NOBITS && sh->sh_offset + sh->sh_size > img->size)
			return false;
	}
	return true;
}

struct symtab {
	Elf64_Sym *syms;
	size_t count;
	const char *names;
	unsigned index;
};

static bool find_symtab(const struct image *img, struct symtab *st)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img->bytes;

	for (unsigned i = 0; i < eh->e_shnum; i++) {
		Elf64_Shdr *sh = section(img, i);

		if (sh->sh_type != SHT_SYMTAB || !section(img, sh->sh_link))
			continue;
		st->syms = (Elf64_Sym *)(img->bytes + sh->sh_offset);
		st->count = sh->sh_size / sizeof(Elf64_Sym);
		st->names = (const char *)img->bytes + section(img, sh->sh_link)->sh_offset;
		st->index = i;
		return true;
	}
	return false;
}

/*
 * Turns every undefined global symbol that the object's BTF describes as a
 * function (that is, every kfunc extern) into a weak one. libbpf then leaves
 * a kfunc it cannot find unresolved instead of failing the whole object, and
 * a program calling it fails with "kfunc '...' is referenced but wasn't
 * resolved" in its log.
 */
static void weaken_kfunc_externs(struct image *img)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img->bytes;
	struct btf *btf = NULL;
	struct symtab st;

	for (unsigned i = 0; i < eh->e_shnum; i++) {
		Elf64_Shdr *sh = section(img, i);

		if (!strcmp(section_name(img, sh), ".BTF")) {
			btf = btf__new(img->bytes + sh->sh_offset, sh->sh_size);
			break;
		}
	}
	if (!btf || !find_symtab(img, &st)) {
		btf__free(btf);
		return;
	}
	for (size_t i = 1; i < st.count; i++) {
		Elf64_Sym *sym = &st.syms[i];
		const char *name = st.names + sym->st_name;

		if (sym->st_shndx != SHN_UNDEF || ELF64_ST_BIND(sym->st_info) != STB_GLOBAL || !*name)
			continue;
		if (btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) > 0)
			sym->st_info = ELF64_ST_INFO(STB_WEAK, ELF64_ST_TYPE(sym->st_info));
	}
	btf__free(btf);
}

/*
 * Keeps, in every struct_ops relocation section, only the entries that point
 * at the program `keep`, and collects the names of the struct_ops variables
 * (maps) that still refer to it into `maps` (space separated, bracketed).
 */
static void isolate_struct_ops(struct image *img, const char *keep, struct text *maps)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img->bytes;
	struct symtab st;

	if (!find_symtab(img, &st))
		return;
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		Elf64_Shdr *rel = section(img, i);
		Elf64_Shdr *target = section(img, rel->sh_info);
		Elf64_Rel *entries;
		size_t count, kept = 0;

		if (rel->sh_type != SHT_REL || !target ||
		    strncmp(section_name(img, target), ".struct_ops", 11))
			continue;
		entries = (Elf64_Rel *)(img->bytes + rel->sh_offset);
		count = rel->sh_size / sizeof(Elf64_Rel);
		for (size_t j = 0; j < count; j++) {
			size_t sym_idx = ELF64_R_SYM(entries[j].r_info);

			if (sym_idx >= st.count || strcmp(st.names + st.syms[sym_idx].st_name, keep))
				continue;
			entries[kept++] = entries[j];
			/* Which struct_ops variable holds this slot? */
			for (size_t k = 1; k < st.count; k++) {
				const Elf64_Sym *var = &st.syms[k];

				if (var->st_shndx == rel->sh_info && ELF64_ST_TYPE(var->st_info) == STT_OBJECT &&
				    entries[j].r_offset >= var->st_value &&
				    entries[j].r_offset < var->st_value + var->st_size) {
					char tag[256];

					snprintf(tag, sizeof(tag), "[%s]", st.names + var->st_name);
					if (!maps->s || !strstr(maps->s, tag))
						text_append(maps, "%s", tag);
				}
			}
		}
		rel->sh_size = kept * sizeof(Elf64_Rel);
	}
}

/* ---- judging one program ------------------------------------------------ */

static size_t log_size = 16u << 20;
static unsigned log_level; /* 0: a log only for failures */
static char *verifier_log;

/*
 * Patterns that tell why a program never reached a verdict. `in_log` ones are
 * looked for in the verifier log (the kernel was asked, but for reasons that
 * are this machine's and not the program's); the others in libbpf's warnings
 * when the kernel was never asked to load the program.
 */
static const struct {
	bool in_log;
	const char *needle;
	const char *stage;
	const char *why;
} blockers[] = {
	{ true, "is referenced but wasn't resolved", "kfunc", "calls a kfunc this kernel does not have" },
	{ true, "failed to resolve CO-RE relocation", "core", "a CO-RE relocation does not match this kernel's types" },
	{ true, "is referenced but wasn't created", "map", "uses a map that could not be created" },
	{ false, "is not found in kernel BTF", "struct_ops", "this kernel has no such struct_ops type" },
	{ false, "struct_ops init_kern", "struct_ops", "the struct_ops map does not fit this kernel's type" },
	{ false, "failed to find kernel BTF type ID", "attach", "the attach target is not in this kernel's BTF" },
	{ false, "failed to create", "map", "a map of the object could not be created" },
	{ false, "Error in bpf_create_map", "map", "a map of the object could not be created" },
	{ false, "extern", "extern", "an extern could not be resolved on this kernel" },
	{ false, "BTF is required", "btf", "the kernel refused the object's BTF" },
	{ false, "Error loading .BTF", "btf", "the kernel refused the object's BTF" },
	{ false, "missing BPF prog type", "section", "libbpf does not know this section name" },
	{ false, "isn't referenced anywhere", "struct_ops", "the struct_ops program is in no struct_ops map" },
};

/* The line of `text` that contains `needle`, copied into `out`. */
static void line_with(const char *text, const char *needle, char *out, size_t size)
{
	const char *hit = strstr(text, needle), *start = hit, *end;

	while (start > text && start[-1] != '\n')
		start--;
	end = strchr(hit, '\n');
	if (!end)
		end = hit + strlen(hit);
	snprintf(out, size, "%.*s", (int)(end - start), start);
}

/* The verifier's error: the last log line that is not a statistics line. */
static void error_line(const char *log, char *out, size_t size)
{
	const char *end = log + strlen(log);

	out[0] = '\0';
	while (end > log) {
		const char *start = end;

		while (start > log && start[-1] != '\n')
			start--;
		if (end > start && strncmp(start, "processed ", 10) && strncmp(start, "verification time", 17) &&
		    strncmp(start, "stack depth", 11) && strncmp(start, "max_states_per_insn", 19)) {
			snprintf(out, size, "%.*s", (int)(end - start), start);
			return;
		}
		end = start > log ? start - 1 : log;
	}
}

struct program_info {
	char *name;
	char *section;
	enum bpf_prog_type type;
};

static void judge(const char *path, const struct image *pristine, const struct program_info *target)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	const char *slash = strrchr(path, '/');
	struct image img = { malloc(pristine->size), pristine->size };
	struct text struct_ops_maps = {};
	char reason[2048] = "", line[1024];
	const char *verdict = "not-checkable", *stage = "open";
	struct bpf_object *obj = NULL;
	struct bpf_program *prog;
	struct bpf_map *map;
	bool asked_kernel;
	int err;

	text_reset(&warnings);
	verifier_log[0] = '\0';
	if (!img.bytes) {
		snprintf(reason, sizeof(reason), "out of memory");
		goto print;
	}
	memcpy(img.bytes, pristine->bytes, img.size);
	if (target->type == BPF_PROG_TYPE_STRUCT_OPS)
		isolate_struct_ops(&img, target->name, &struct_ops_maps);

	opts.object_name = slash ? slash + 1 : path;
	obj = bpf_object__open_mem(img.bytes, img.size, &opts);
	if (!obj) {
		snprintf(reason, sizeof(reason), "libbpf could not open the object: %s", strerror(errno));
		goto print;
	}
	bpf_object__for_each_program(prog, obj) {
		bool me = !strcmp(bpf_program__name(prog), target->name);

		bpf_program__set_autoload(prog, me);
		if (me) {
			bpf_program__set_log_buf(prog, verifier_log, log_size);
			bpf_program__set_log_level(prog, log_level);
		}
	}
	bpf_object__for_each_map(map, obj) {
		char tag[256];

		if (bpf_map__type(map) != BPF_MAP_TYPE_STRUCT_OPS)
			continue;
		snprintf(tag, sizeof(tag), "[%s]", bpf_map__name(map));
		if (!struct_ops_maps.s || !strstr(struct_ops_maps.s, tag))
			bpf_map__set_autocreate(map, false);
	}

	err = bpf_object__load(obj);
	if (!err) {
		verdict = "loaded";
		stage = "verifier";
		goto print;
	}

	snprintf(line, sizeof(line), "prog '%s': BPF program load failed", target->name);
	asked_kernel = warnings.s && strstr(warnings.s, line);
	stage = asked_kernel ? "verifier" : "libbpf";
	for (size_t i = 0; i < sizeof(blockers) / sizeof(blockers[0]); i++) {
		const char *where = blockers[i].in_log ? verifier_log : warnings.s;

		if (blockers[i].in_log != asked_kernel || !where || !strstr(where, blockers[i].needle))
			continue;
		line_with(where, blockers[i].needle, line, sizeof(line));
		stage = blockers[i].stage;
		snprintf(reason, sizeof(reason), "%s: %s", blockers[i].why, line);
		goto print;
	}
	if (!asked_kernel) {
		/* libbpf stopped before the load for a reason we do not name: quote it. */
		error_line(warnings.s ? warnings.s : "", line, sizeof(line));
		snprintf(reason, sizeof(reason), "libbpf stopped before loading: %s (%s)",
			 line[0] ? line : "no message", strerror(-err));
	} else if (!verifier_log[0]) {
		/* Refused before the verifier ran: on some kernels this is what every
		 * trampoline program (fentry, fexit, lsm, ...) gets. */
		stage = "program-type";
		snprintf(reason, sizeof(reason),
			 "the kernel refused this %s program before verifying it (%s, no verifier log); "
			 "this kind of program cannot be loaded on this machine",
			 libbpf_bpf_prog_type_str(target->type), strerror(-err));
	} else {
		verdict = "rejected";
		error_line(verifier_log, reason, sizeof(reason));
	}

print:
	putchar('{');
	json_field("object", path, false);
	json_field("name", target->name, false);
	json_field("section", target->section, false);
	json_field("type", libbpf_bpf_prog_type_str(target->type), false);
	json_field("verdict", verdict, false);
	json_field("stage", stage, false);
	json_field("reason", reason, false);
	json_field("log", verifier_log, false);
	json_field("libbpf", warnings.s ? warnings.s : "", true);
	puts("}");
	fflush(stdout);
	bpf_object__close(obj);
	free(img.bytes);
	free(struct_ops_maps.s);
}

/* ---- may we use bpf() at all? ------------------------------------------- */

static int probe_bpf(void)
{
	/* The smallest valid program: r0 = 0; exit. */
	struct bpf_insn insns[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "kptr_probe", "GPL", insns, 2, NULL);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct program_info *programs = NULL;
	struct image pristine = {};
	struct bpf_object *obj;
	struct bpf_program *prog;
	const char *path;
	size_t count = 0;
	int argi = 1, err;

	while (argi + 1 < argc && !strncmp(argv[argi], "--log-", 6)) {
		if (!strcmp(argv[argi], "--log-size"))
			log_size = strtoul(argv[argi + 1], NULL, 0);
		else if (!strcmp(argv[argi], "--log-level"))
			log_level = strtoul(argv[argi + 1], NULL, 0);
		else
			break;
		argi += 2;
	}
	if (argi >= argc || log_size < 4096) {
		fprintf(stderr, "usage: %s [--log-size BYTES] [--log-level N] OBJECT.o [PROGRAM...]\n"
			"  --log-level 1 or 2 asks for the verifier log of programs that load, too\n", argv[0]);
		return 2;
	}
	path = argv[argi++];

	debug = getenv("BPF_KPTR_LOADER_DEBUG") && *getenv("BPF_KPTR_LOADER_DEBUG") == '1';
	libbpf_set_print(collect_libbpf_output);
	err = probe_bpf();
	if (err == -EPERM || err == -EACCES) {
		fprintf(stderr,
			"loader: this process may not load BPF programs (bpf() failed: %s).\n"
			"Run as root, or with CAP_BPF and CAP_PERFMON (and CAP_SYS_ADMIN for some program types),\n"
			"and check /proc/sys/kernel/unprivileged_bpf_disabled and any seccomp or container policy.\n",
			strerror(-err));
		return 3;
	}
	if (err) {
		fprintf(stderr, "loader: even a trivial BPF program does not load here: %s\n", strerror(-err));
		return 3;
	}

	verifier_log = malloc(log_size);
	err = read_file(path, &pristine);
	if (err || !verifier_log || !is_bpf_elf(&pristine)) {
		fprintf(stderr, "loader: %s: %s\n", path, err ? strerror(-err) : "not a BPF ELF object");
		return 2;
	}
	weaken_kfunc_externs(&pristine);

	/* A first open only to list the programs. */
	obj = bpf_object__open_mem(pristine.bytes, pristine.size, NULL);
	if (!obj) {
		err = -errno;
		fprintf(stderr, "loader: libbpf could not open %s: %s\n%s", path, strerror(-err),
			warnings.s ? warnings.s : "");
		return 2;
	}
	bpf_object__for_each_program(prog, obj) {
		struct program_info *grown = realloc(programs, (count + 1) * sizeof(*programs));

		if (!grown)
			return 2;
		programs = grown;
		programs[count].name = strdup(bpf_program__name(prog));
		programs[count].section = strdup(bpf_program__section_name(prog));
		programs[count].type = bpf_program__type(prog);
		count++;
	}
	bpf_object__close(obj);

	for (size_t i = 0; i < count; i++) {
		bool wanted = argi >= argc;

		for (int a = argi; a < argc && !wanted; a++)
			wanted = !strcmp(argv[a], programs[i].name);
		if (wanted)
			judge(path, &pristine, &programs[i]);
	}
	for (int a = argi; a < argc; a++) {
		bool known = false;

		for (size_t i = 0; i < count && !known; i++)
			known = !strcmp(argv[a], programs[i].name);
		if (!known)
			fprintf(stderr, "loader: %s has no program named %s\n", path, argv[a]);
	}
	return 0;
}
