/* The subcommands of the `neurorack` program, one file each (src/apps/cmd_<name>.c). */
#ifndef NR_COMMANDS_H
#define NR_COMMANDS_H

#include <signal.h>

#include "nr/curves.h"
#include "nr/model.h"

typedef struct {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand name; returns the exit code */
} nr_command;

/* Weak while the program is being assembled: a command whose file is not linked is listed as
 * unavailable instead of breaking the build. */
#define NR_CMD(name) int nr_cmd_##name(int argc, char **argv) __attribute__((weak))
NR_CMD(analyze);
NR_CMD(render);
NR_CMD(convert);
NR_CMD(info);
NR_CMD(bench);
NR_CMD(play);
NR_CMD(dataset);
NR_CMD(train);
NR_CMD(train_latent);
NR_CMD(latent_map);
NR_CMD(eval);
#undef NR_CMD

/* Shared helpers for the command-line programs (src/apps/cli.c). */
/* Print "neurorack <cmd>: <nr_last_error()>" to stderr and return exit code 1. */
int nr_cli_error(const char *cmd);
/* Parse an integer/float option value; on failure print a message naming the option, return 0. */
int nr_cli_int(const char *cmd, const char *opt, const char *s, long lo, long hi, long *out);
int nr_cli_float(const char *cmd, const char *opt, const char *s, double lo, double hi, double *out);
/* Descriptor curves from the one source given: a sound to analyse, a CSV, or a template by name:
 * the model's (m may be NULL), else a built-in, else ~/.config/neurorack/templates/NAME.csv. NULL for
 * all three: the model's default template, else the built-in default. */
nr_result nr_cli_curves(const nr_model *m, const char *like, const char *csv, const char *tmpl, nr_curves *out);
/* SIGINT and SIGTERM set a flag instead of killing the program; every atomic file commit from then on
 * sees it (nr_atomic_set_cancel), so an interrupted render leaves the previous output file as it was and
 * removes its temporary file. nr_cli_interrupted() is the signal number (0: none); the exit code of an
 * interrupted command is 128 + that (130 for SIGINT, 143 for SIGTERM). */
void nr_cli_catch_interrupts(void);
const volatile sig_atomic_t *nr_cli_interrupt_flag(void);
int nr_cli_interrupted(void);

/* The default model file: $NEURORACK_MODEL, else the one shipped in models/ next to the binary. */
const char *nr_cli_default_model(void);

#endif
