/* Counts the guest instructions a program ran under qemu-aarch64, from the log of
 * `qemu-aarch64 -d in_asm,exec,nochain`: "IN:" blocks list each translated block's instructions, and
 * (with chaining off) every execution of a block prints a "Trace" line with its guest address.
 *
 * usage: qemu_icount [NM_FILE] < qemu.log
 *   prints the total; with NM_FILE (`aarch64-linux-gnu-nm -n --defined-only BIN`, the program loaded at
 *   qemu's PIE base 0x5500000000) also "count symbol" lines, the shared libraries as one line.
 * A throwaway measuring tool for docs/raspberry-pi.md (scripts/count-aarch64.sh), not part of the program. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HASH_BITS 22
#define PIE_BASE 0x5500000000ull

typedef struct {
    uint64_t pc, insns_run;
    uint32_t n; /* instructions in the block's latest translation */
} block;

typedef struct {
    uint64_t addr, count;
    char name[96];
} sym;

static block *tab;

static block *find(uint64_t pc)
{
    uint64_t h = (pc * 0x9E3779B97F4A7C15ull) >> (64 - HASH_BITS);
    while (tab[h].pc && tab[h].pc != pc) h = (h + 1) & ((1u << HASH_BITS) - 1);
    tab[h].pc = pc;
    return &tab[h];
}

static int cmp_count(const void *a, const void *b)
{
    const sym *x = a, *y = b;
    return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

int main(int argc, char **argv)
{
    tab = calloc(1u << HASH_BITS, sizeof *tab);
    if (!tab) return 1;
    static char line[4096];
    int in_block = 0;
    uint64_t start = 0, total = 0;
    uint32_t n = 0;
    while (fgets(line, sizeof line, stdin)) {
        if (!strncmp(line, "IN:", 3)) {
            in_block = 1, n = 0, start = 0;
            continue;
        }
        if (in_block) {
            if (line[0] == '0' && line[1] == 'x') {
                if (!n) start = strtoull(line, NULL, 16);
                n++;
                continue;
            }
            if (start) find(start)->n = n;
            in_block = 0;
        }
        if (!strncmp(line, "Trace", 5)) { /* Trace 0: HOST [CS_BASE/PC/FLAGS/CFLAGS] */
            char *p = strchr(line, '[');
            p = p ? strchr(p, '/') : NULL;
            if (!p) continue;
            block *b = find(strtoull(p + 1, NULL, 16));
            b->insns_run += b->n;
            total += b->n;
        }
    }
    printf("%llu\n", (unsigned long long)total);
    if (argc < 2) return 0;
    FILE *f = fopen(argv[1], "r");
    if (!f) return 1;
    sym *s = NULL;
    size_t ns = 0, cap = 0;
    char type[8], name[96];
    unsigned long long a;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "%llx %7s %95s", &a, type, name) != 3 || !strchr("tTwW", type[0])) continue;
        if (ns == cap && !(s = realloc(s, (cap = cap ? 2 * cap : 4096) * sizeof *s))) return 1;
        s[ns].addr = a + PIE_BASE, s[ns].count = 0;
        snprintf(s[ns].name, sizeof s[ns].name, "%s", name);
        ns++;
    }
    fclose(f);
    if (!ns) return 1;
    uint64_t libs = 0, end = s[ns - 1].addr + 0x100000;
    for (uint32_t i = 0; i < 1u << HASH_BITS; i++) {
        if (!tab[i].insns_run) continue;
        uint64_t pc = tab[i].pc;
        if (pc < s[0].addr || pc >= end) {
            libs += tab[i].insns_run;
            continue;
        }
        size_t lo = 0, hi = ns; /* last symbol at or below pc */
        while (hi - lo > 1) {
            size_t mid = (lo + hi) / 2;
            if (s[mid].addr <= pc) lo = mid;
            else hi = mid;
        }
        s[lo].count += tab[i].insns_run;
    }
    qsort(s, ns, sizeof *s, cmp_count);
    printf("%llu (shared libraries: OpenBLAS, libm, libc, ...)\n", (unsigned long long)libs);
    for (size_t i = 0; i < ns && s[i].count; i++) printf("%llu %s\n", (unsigned long long)s[i].count, s[i].name);
    free(s);
    free(tab);
    return 0;
}
