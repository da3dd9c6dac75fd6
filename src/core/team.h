/* A team of threads that work on one job together, for splitting one voice's block across cores.
 * The workers are started once (nr_team_create, not audio-thread safe) and then wait for jobs; the
 * caller of nr_team_run is member 0 and runs its share too. Hand-over and barriers are lock-free:
 * atomic counters, waited on by spinning with the CPU's pause instruction, then by yielding the core.
 * No mutex, condition variable or allocation after create, so nr_team_run is audio-thread safe.
 * An idle worker (no job for a few ms) polls with short sleeps so it does not hold a core. */
#ifndef NR_CORE_TEAM_H
#define NR_CORE_TEAM_H

#include "nr/core.h"

#define NR_TEAM_MAX 64 /* members, the caller included */

typedef struct nr_team nr_team;

/* fn runs once on every member: tid 0 .. nt - 1, nt = the team's size. */
typedef void (*nr_team_fn)(void *arg, int tid, int nt);

/* n members (1 .. NR_TEAM_MAX): starts n - 1 worker threads. */
nr_result nr_team_create(int n, nr_team **out);
/* Stops and joins the workers. NULL is fine. Not while nr_team_run runs. */
void nr_team_free(nr_team *t);
/* The calling thread's member number inside a job (0 on a thread that is no team's worker). */
int nr_team_self(void);
/* Members, the caller included; 1 for NULL. */
int nr_team_size(const nr_team *t);
/* Runs fn(arg, tid, nt) on every member, the caller as tid 0, and returns when all have returned.
 * One caller at a time. Audio-thread safe. */
void nr_team_run(nr_team *t, nr_team_fn fn, void *arg);
/* Inside fn: waits until every member has reached it. A no-op for NULL or a team of one. */
void nr_team_barrier(nr_team *t);
/* Inside fn, a barrier in two halves: nr_team_arrive says this member is past a point (say, done reading
 * something), nr_team_await waits until every member has arrived. Work between the two overlaps the
 * others' lag. Each member calls them in pairs, arrive then await, with no other arrive between; a
 * full barrier may come between them. No-ops for NULL or a team of one. */
void nr_team_arrive(nr_team *t);
void nr_team_await(nr_team *t);

/* Diagnostics for `neurorack bench` (off by default; when on, two thread-CPU clock reads per member and
 * barrier): the critical path of the jobs run, i.e. the sum over the stretches between barriers of the
 * longest member's thread CPU time (what the jobs would take on idle cores, barrier latency aside), and
 * the thread CPU the callers (member 0) spent inside nr_team_run, waits included, and the work of each
 * member (their sum against one thread's CPU time shows what the split adds). Not synchronised
 * beyond one team at a time. */
typedef struct {
    int on;
    double critical_s;
    double caller_s;
    double member_s[NR_TEAM_MAX]; /* each member's thread CPU inside the jobs, waits at barriers excluded */
    long jobs, barriers;
} nr_team_profile;
extern nr_team_profile nr_team_prof;

/* [*from, *to) of n items for member tid of nt, boundaries on multiples of align (the last member takes
 * the rest): each member gets a contiguous share, in order. */
static inline void nr_team_share(int n, int tid, int nt, int align, int *from, int *to)
{
    long a = (long)n * tid / nt, b = (long)n * (tid + 1) / nt;
    a -= a % align;
    b = tid + 1 == nt ? n : b - b % align;
    *from = (int)a;
    *to = (int)b;
}

#endif
