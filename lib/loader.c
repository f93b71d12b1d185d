// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Loading the upper half: the program's own ld.so is mapped into the band
 * and started as if the kernel had executed it with the program as its
 * argument ("ld.so --argv0 ARGV0 PROG ARGS..."), on a fresh stack in the
 * band.  ld.so then maps the program and its libraries itself - through the
 * trap handler, so into the band as well.
 *
 * The vDSO is not passed on (no AT_SYSINFO_EHDR): the upper half's libc
 * would remember addresses inside this kernel's vDSO, which a restart on
 * another kernel, or with another layout, does not have.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "band.h"
#include "raw.h"
#include "runtime.h"

static int read_ehdr(int fd, Elf64_Ehdr *eh, Elf64_Phdr **ph)
{
	size_t len;

	if (pread(fd, eh, sizeof(*eh), 0) != sizeof(*eh) ||
	    memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return -ENOEXEC;
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64 ||
	    (eh->e_type != ET_EXEC && eh->e_type != ET_DYN) ||
	    eh->e_phentsize != sizeof(Elf64_Phdr) || !eh->e_phnum ||
	    eh->e_phnum > 256)
		return -ENOEXEC;
	len = eh->e_phnum * sizeof(Elf64_Phdr);
	*ph = malloc(len);
	if (!*ph)
		return -ENOMEM;
	if (pread(fd, *ph, len, eh->e_phoff) != (ssize_t)len) {
		free(*ph);
		return -ENOEXEC;
	}
	return 0;
}

static int find_in_path(const char *name, char *out, size_t outlen)
{
	const char *path = getenv("PATH");
	const char *p, *colon;
	int saw_noexec = 0;

	if (strchr(name, '/')) {
		if (snprintf(out, outlen, "%s", name) >= (int)outlen)
			return -ENAMETOOLONG;
		return access(out, X_OK) ? -errno : 0;
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; ; p = colon + 1) {
		int dlen;

		colon = strchrnul(p, ':');
		dlen = colon - p;
		if (snprintf(out, outlen, "%.*s%s%s", dlen, p, dlen ? "/" : "",
			     name) < (int)outlen) {
			if (!access(out, X_OK))
				return 0;
			if (errno == EACCES)
				saw_noexec = 1;
		}
		if (!*colon)
			break;
	}
	return saw_noexec ? -EACCES : -ENOENT;
}

int sp_prog_shebang(const char *path, char *interp, size_t ilen, char *arg,
		    size_t alen)
{
	char buf[256], *p, *e;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 2 || buf[0] != '#' || buf[1] != '!')
		return -ENOEXEC;
	buf[n] = '\0';
	p = buf + 2;
	p[strcspn(p, "\n")] = '\0';
	p += strspn(p, " \t");
	e = p + strcspn(p, " \t");
	if (e == p)
		return -ENOEXEC;
	if (*e)
		*e++ = '\0';
	e += strspn(e, " \t");
	/* Like the kernel: the rest of the line is one argument. */
	while (*e && (e[strlen(e) - 1] == ' ' || e[strlen(e) - 1] == '\t'))
		e[strlen(e) - 1] = '\0';
	if (snprintf(interp, ilen, "%s", p) >= (int)ilen ||
	    snprintf(arg, alen, "%s", e) >= (int)alen)
		return -ENAMETOOLONG;
	return 0;
}

int sp_prog_inspect(const char *name, struct sp_prog *prog, char *msg,
		    size_t msglen)
{
	Elf64_Phdr *ph = NULL;
	Elf64_Ehdr eh;
	struct stat st;
	int fd, r, i;

	memset(prog, 0, sizeof(*prog));
	r = find_in_path(name, prog->path, sizeof(prog->path));
	if (r) {
		snprintf(msg, msglen, "%s: %s", name,
			 r == -ENOENT ? "command not found" : strerror(-r));
		return r;
	}
	fd = open(prog->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		r = -errno;
		snprintf(msg, msglen, "%s: %s", prog->path, strerror(-r));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EACCES;
		snprintf(msg, msglen, "%s: not a regular file", prog->path);
		goto out;
	}
	if (st.st_mode & (S_ISUID | S_ISGID)) {
		r = -EPERM;
		snprintf(msg, msglen,
			 "%s: is setuid or setgid; splitckpt does not run privileged programs",
			 prog->path);
		goto out;
	}
	r = read_ehdr(fd, &eh, &ph);
	if (r) {
		snprintf(msg, msglen, "%s: not an x86-64 ELF executable",
			 prog->path);
		goto out;
	}
	r = -ENOEXEC;
	for (i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type == PT_INTERP) {
			if (!ph[i].p_filesz || ph[i].p_filesz >= sizeof(prog->interp) ||
			    pread(fd, prog->interp, ph[i].p_filesz,
				  ph[i].p_offset) != (ssize_t)ph[i].p_filesz)
				break;
			prog->interp[ph[i].p_filesz] = '\0';
			r = 0;
		}
	}
	if (r)
		snprintf(msg, msglen,
			 "%s: is statically linked; splitckpt runs dynamically linked programs only",
			 prog->path);
out:
	free(ph);
	if (fd >= 0)
		close(fd);
	return r;
}

/* Map the ELF interpreter at a band address; returns its load bias. */
static int map_interp(const char *path, uint64_t *bias, Elf64_Ehdr *eh)
{
	uint64_t lo = UINT64_MAX, hi = 0, align = SP_PAGE_SIZE, base;
	Elf64_Phdr *ph;
	int fd, r, i;
	long m;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = read_ehdr(fd, eh, &ph);
	if (r)
		goto out_close;
	r = -ENOEXEC;
	if (eh->e_type != ET_DYN)
		goto out_free;
	for (i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (ph[i].p_vaddr < lo)
			lo = ph[i].p_vaddr;
		if (ph[i].p_vaddr + ph[i].p_memsz > hi)
			hi = ph[i].p_vaddr + ph[i].p_memsz;
		if (ph[i].p_align > align)
			align = ph[i].p_align;
	}
	if (hi <= lo)
		goto out_free;
	lo &= ~(SP_PAGE_SIZE - 1);
	hi = sp_page_up(hi);
	r = -ENOMEM;
	base = sp_band_find(hi - lo, align);
	if (!base)
		goto out_free;
	/* Reserve the whole span, then map each segment over it. */
	m = sp_raw_mmap(base, hi - lo, PROT_NONE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (sp_raw_failed(m)) {
		r = m;
		goto out_free;
	}
	*bias = base - lo;
	for (i = 0; i < eh->e_phnum; i++) {
		uint64_t va, fend, mend, off, fpage;
		int prot = 0;

		if (ph[i].p_type != PT_LOAD)
			continue;
		prot |= ph[i].p_flags & PF_R ? PROT_READ : 0;
		prot |= ph[i].p_flags & PF_W ? PROT_WRITE : 0;
		prot |= ph[i].p_flags & PF_X ? PROT_EXEC : 0;
		va = *bias + ph[i].p_vaddr;
		off = ph[i].p_offset & ~(SP_PAGE_SIZE - 1);
		fpage = va & ~(SP_PAGE_SIZE - 1);
		fend = va + ph[i].p_filesz;
		mend = sp_page_up(va + ph[i].p_memsz);
		if (ph[i].p_filesz) {
			m = sp_raw_mmap(fpage, fend - fpage, prot,
					MAP_PRIVATE | MAP_FIXED, fd, off);
			if (sp_raw_failed(m)) {
				r = m;
				goto out_unmap;
			}
		}
		if (ph[i].p_memsz > ph[i].p_filesz) {
			/* bss: zero the rest of the last file page ... */
			if ((prot & PROT_WRITE) && (fend & (SP_PAGE_SIZE - 1)))
				memset((void *)fend, 0,
				       sp_page_up(fend) - fend);
			/* ... and map anonymous pages beyond it. */
			if (mend > sp_page_up(fend)) {
				m = sp_raw_mmap(sp_page_up(fend),
						mend - sp_page_up(fend), prot,
						MAP_PRIVATE | MAP_ANONYMOUS |
						MAP_FIXED, -1, 0);
				if (sp_raw_failed(m)) {
					r = m;
					goto out_unmap;
				}
			}
		}
	}
	r = sp_band_add(base, base + (hi - lo));
	if (r)
		goto out_unmap;
	/* The program headers must be mapped for AT_PHDR. */
	r = -ENOEXEC;
	for (i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset <= eh->e_phoff &&
		    eh->e_phoff + eh->e_phnum * sizeof(*ph) <=
		    ph[i].p_offset + ph[i].p_filesz) {
			eh->e_phoff += *bias + ph[i].p_vaddr - ph[i].p_offset;
			r = 0;
			break;
		}
	}
	if (!r)
		goto out_free;
out_unmap:
	sp_raw_munmap(base, hi - lo);
	sp_band_remove(base, base + (hi - lo));
out_free:
	free(ph);
out_close:
	close(fd);
	return r;
}

static int read_auxv(Elf64_auxv_t **out)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	int fd = open("/proc/self/auxv", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0 || !buf) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return -ENOMEM;
	}
	while ((n = read(fd, buf + len, cap - len)) > 0) {
		len += n;
		if (len == cap) {
			char *b = realloc(buf, cap *= 2);

			if (!b)
				break;
			buf = b;
		}
	}
	close(fd);
	if (n < 0 || len < sizeof(Elf64_auxv_t) || len % sizeof(Elf64_auxv_t) ||
	    ((Elf64_auxv_t *)(buf + len))[-1].a_type != AT_NULL) {
		free(buf);
		return -EIO;
	}
	*out = (Elf64_auxv_t *)buf;
	return 0;
}

static uint64_t stack_size(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_STACK, &rl) || rl.rlim_cur == RLIM_INFINITY)
		return 64UL << 20;
	if (rl.rlim_cur < (1UL << 20))
		return 1UL << 20;
	if (rl.rlim_cur > (1UL << 30))
		return 1UL << 30;
	return sp_page_up(rl.rlim_cur);
}

struct stack_builder {
	uintptr_t lo;	/* bottom of the usable stack */
	uintptr_t str;	/* strings grow down from the top */
};

static char *push_str(struct stack_builder *b, const char *s)
{
	size_t n = strlen(s) + 1;
	char *dst;

	if (b->str - n < b->lo)
		return NULL;
	b->str -= n;
	dst = (char *)b->str;
	memcpy(dst, s, n);
	return dst;
}

/* Copy @s to *@p and advance it. */
static char *put_str(uintptr_t *p, const char *s)
{
	size_t n = strlen(s) + 1;
	char *dst = (char *)*p;

	memcpy(dst, s, n);
	*p += n;
	return dst;
}

int sp_prog_prepare(const struct sp_prog *prog, char *const argv[],
		    char *const envp[], uint64_t *entry, uint64_t *sp)
{
	uint64_t size = stack_size(), top, bias = 0, *v, *auxv;
	size_t argc, envc, i, nwords, nauxv = 0, k;
	struct stack_builder b;
	Elf64_auxv_t *a, *given = NULL;
	Elf64_Ehdr eh;
	char *random, *execfn, *platform = NULL, **uargv, **uenv;
	long m;
	int r;

	r = map_interp(prog->interp, &bias, &eh);
	if (r)
		return r;

	/* The main thread's stack: the top of the band, with a guard. */
	top = SP_BAND_END - SP_PAGE_SIZE;
	m = sp_raw_mmap(top - size - SP_PAGE_SIZE, SP_PAGE_SIZE, PROT_NONE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (sp_raw_failed(m))
		return m;
	m = sp_raw_mmap(top - size, size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (sp_raw_failed(m))
		return m;
	r = sp_band_add(top - size - SP_PAGE_SIZE, top);
	if (r)
		return r;
	b.lo = top - size;
	b.str = top;

	for (argc = 0; argv[argc]; argc++)
		;
	for (envc = 0; envp[envc]; envc++)
		;
	uargv = calloc(argc + 4, sizeof(char *));
	uenv = calloc(envc + 1, sizeof(char *));
	if (!uargv || !uenv) {
		r = -ENOMEM;
		goto out;
	}
	r = -E2BIG;
	/*
	 * Strings in the kernel's order, ascending from below the top:
	 * argv, environ, execfn; below them the platform and AT_RANDOM.
	 */
	{
		const char *head[4] = { prog->interp, "--argv0", argv[0], prog->path };
		size_t total = strlen(prog->path) + 1;
		uintptr_t p;

		for (i = 0; i < 4; i++)
			total += strlen(head[i]) + 1;
		for (i = 1; i < argc; i++)
			total += strlen(argv[i]) + 1;
		for (i = 0; i < envc; i++)
			total += strlen(envp[i]) + 1;
		if (total > size / 4)
			goto out;
		p = b.str - total;
		b.str = p;
		for (i = 0; i < 4; i++)
			uargv[i] = put_str(&p, head[i]);
		for (i = 1; i < argc; i++)
			uargv[i + 3] = put_str(&p, argv[i]);
		for (i = 0; i < envc; i++)
			uenv[i] = put_str(&p, envp[i]);
		execfn = put_str(&p, prog->path);
	}
	if (getauxval(AT_PLATFORM) &&
	    !(platform = push_str(&b, (const char *)getauxval(AT_PLATFORM))))
		goto out;
	b.str = (b.str - 16) & ~15UL;
	random = (char *)b.str;
	if (getrandom(random, 16, 0) != 16) {
		r = -errno;
		goto out;
	}

	/* The auxiliary vector the kernel gave us. */
	r = read_auxv(&given);
	if (r)
		goto out;
	r = -E2BIG;
	for (a = given; ; a++) {
		nauxv++;
		if (a->a_type == AT_NULL)
			break;
	}
	/* Ours is no longer than that, with AT_ENTRY etc. always present. */
	nauxv += 8;
	nwords = 1 + (argc + 3) + 1 + envc + 1 + 2 * nauxv;
	v = (uint64_t *)((b.str - nwords * 8) & ~15UL);
	if ((uintptr_t)v < b.lo)
		goto out;
	k = 0;
	v[k++] = argc + 3;
	for (i = 0; i < argc + 3; i++)
		v[k++] = (uint64_t)uargv[i];
	v[k++] = 0;
	for (i = 0; i < envc; i++)
		v[k++] = (uint64_t)uenv[i];
	v[k++] = 0;
	auxv = &v[k];
	for (a = given; a->a_type != AT_NULL; a++) {
		uint64_t val = a->a_un.a_val;

		switch (a->a_type) {
		case AT_SYSINFO_EHDR:
		case AT_SYSINFO:
			continue;
		case AT_PHDR:
			val = eh.e_phoff;	/* an address by now */
			break;
		case AT_PHNUM:
			val = eh.e_phnum;
			break;
		case AT_PHENT:
			val = sizeof(Elf64_Phdr);
			break;
		case AT_ENTRY:
			val = bias + eh.e_entry;
			break;
		case AT_BASE:
			val = 0;
			break;
		case AT_RANDOM:
			val = (uint64_t)random;
			break;
		case AT_EXECFN:
			val = (uint64_t)execfn;
			break;
		case AT_PLATFORM:
			val = (uint64_t)platform;
			break;
		case AT_SECURE:
			val = 0;
			break;
		case AT_BASE_PLATFORM:
			continue;
		default:
			break;
		}
		*auxv++ = a->a_type;
		*auxv++ = val;
	}
	*auxv++ = AT_NULL;
	*auxv++ = 0;
	*entry = bias + eh.e_entry;
	*sp = (uint64_t)v;
	r = 0;
out:
	free(given);
	free(uargv);
	free(uenv);
	return r;
}

void sp_jump(uint64_t entry, uint64_t sp)
{
	__asm__ volatile("mov %%rdi, %%rsp\n\t"
			 "xor %%edx, %%edx\n\t"
			 "xor %%ebp, %%ebp\n\t"
			 "jmp *%%rsi\n\t"
			 : : "D"(sp), "S"(entry) : "memory");
	__builtin_unreachable();
}
