/* SPDX-License-Identifier: MIT */
/* tune.h - host audit (nexit check) and tuning profiles (nexit tune). */
#ifndef NEXIT_TUNE_H
#define NEXIT_TUNE_H
struct nx_vm;
int nx_cmd_check(int argc, char **argv);	/* `nexit check ...`, returns exit status */
int nx_cmd_tune(int argc, char **argv);		/* `nexit tune ...` */
/* `nexit run --profile NAME`: VM-side settings (pinning, mlock, halt-poll, FIFO). */
int nx_profile_apply_vm(struct nx_vm *vm, const char *name);
#endif
