/* SPDX-License-Identifier: MIT */
/*
 * sandbox.h - the seccomp sandbox (core/sandbox.c, docs/security.md).
 */
#ifndef NEXIT_CORE_SANDBOX_H
#define NEXIT_CORE_SANDBOX_H

#include <stdbool.h>
#include <sys/types.h>

enum nx_sandbox_mode { NX_SANDBOX_ON = 0, NX_SANDBOX_OFF, NX_SANDBOX_LOG };
/* Thread kinds, each with its own allow-list. */
enum nx_sandbox_kind { NX_SANDBOX_KIND_MAIN, NX_SANDBOX_KIND_VCPU, NX_SANDBOX_KIND_EVENT, NX_SANDBOX_KIND_LOOP, NX_SANDBOX_KIND_DEVD, NX_SANDBOX_KIND_KINDS };
/* Compiles every kind's filter and sets NO_NEW_PRIVS (once, before any
 * thread starts); user: drop to it later (nx_sandbox_drop), NULL = stay;
 * with_uring: a virtio-blk device's threads may use io_uring. */
int  nx_sandbox_init(enum nx_sandbox_mode mode, const char *user, bool with_uring);
/* The calling thread names itself (name != NULL) and loads its kind's
 * filter (no filter with the sandbox off). */
int  nx_sandbox_thread(enum nx_sandbox_kind kind, const char *name);
/* Drops to the configured user (end of set-up); 0 if none configured. */
int  nx_sandbox_drop(void);
/* Is the sandbox on? If so, the configured user (if any) into *uid, *gid. */
bool nx_sandbox_user(uid_t *uid, gid_t *gid);
const char *nx_sandbox_mode_name(enum nx_sandbox_mode m);

#endif
