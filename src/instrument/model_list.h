/* The models the instrument offers: every model file (*.safetensors, *.th) in its model folders, listed
 * by name (the file's stem) with its path and whether it loads, and if not, why. Each file is checked by
 * loading it once when it is listed. Control thread only (files, allocation). */
#ifndef NR_MODEL_LIST_H
#define NR_MODEL_LIST_H

#include "nr/patch.h"

#include <limits.h>

#define NR_MODEL_LIST_MAX 64 /* entries; files beyond are left out with a message */

typedef struct {
    char name[NR_NAME_MAX]; /* the file's stem: what patches and OSC name it by */
    char path[PATH_MAX];
    int ok;                 /* 1: it loads; 0: broken, never chosen */
    char reason[256];       /* broken: why ("" when ok) */
} nr_model_entry;

typedef struct {
    nr_model_entry e[NR_MODEL_LIST_MAX];
    int n;
    int left_out; /* files not listed: the list was full */
} nr_model_list;

void nr_model_list_clear(nr_model_list *l);
/* The file's stem ("models/tiny.safetensors" -> "tiny"), cut to NR_NAME_MAX - 1 characters. */
void nr_model_list_stem(const char *path, char *name, size_t n);
/* List the model at path, checked by loading it unless known_ok (the model already playing). The same file
 * listed twice is listed once; another file of a name already listed is listed broken ("the name is taken
 * by ..."). Returns its index, or -1 when the list is full. */
int nr_model_list_add(nr_model_list *l, const char *path, int known_ok);
/* List every model file in dir, in name order. A missing folder lists nothing; returns the files listed. */
int nr_model_list_scan_dir(nr_model_list *l, const char *dir);
/* Index of the entry of that name (ok or broken), -1 if none. */
int nr_model_list_find(const nr_model_list *l, const char *name);
/* Index of the entry of that path, -1 if none. */
int nr_model_list_find_path(const nr_model_list *l, const char *path);
int nr_model_list_count_ok(const nr_model_list *l);

#endif
