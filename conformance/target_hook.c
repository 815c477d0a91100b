/*
 * target_hook.c: runs a hook command (target.h, struct target_hook) for
 * the http target: /bin/sh -c COMMAND through posix_spawn, with the hook's
 * variables added to our environment and its stdout sent to our stderr
 * (stdout carries the report). While it runs the caller's wait_step keeps
 * the actors' traffic flowing, so a restart that takes seconds does not
 * stall the streams the scenario reads afterwards.
 */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "target_internal.h"

extern char **environ;

#define HOOK_ENV_EXTRA 4u
#define HOOK_ENV_VALUE_BYTES_MAX (TARGET_ADDRESS_BYTES_MAX + 64u)

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Our environment without the hook's own names, then the hook's values. */
static char **env_build(const struct target_hook_env *env,
                        char extra[HOOK_ENV_EXTRA][HOOK_ENV_VALUE_BYTES_MAX])
{
    size_t n = 0;
    while (environ != NULL && environ[n] != NULL)
        n++;
    char **out = calloc(n + HOOK_ENV_EXTRA + 1, sizeof(*out));
    if (out == NULL)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "MESOS_CONFORM_", 14) != 0)
            out[k++] = environ[i];
    const char *names[HOOK_ENV_EXTRA] = {"MESOS_CONFORM_HOOK", "MESOS_CONFORM_AGENT",
                                         "MESOS_CONFORM_TARGET", "MESOS_CONFORM_CASE"};
    const char *values[HOOK_ENV_EXTRA] = {env->kind, env->agent, env->target, env->case_id};
    for (size_t i = 0; i < HOOK_ENV_EXTRA; i++) {
        if (values[i] == NULL)
            continue;
        snprintf(extra[i], HOOK_ENV_VALUE_BYTES_MAX, "%s=%s", names[i], values[i]);
        out[k++] = extra[i];
    }
    out[k] = NULL;
    return out;
}

static void status_describe(int status, char *error, size_t error_bytes)
{
    if (WIFEXITED(status))
        snprintf(error, error_bytes, "exit status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(error, error_bytes, "killed by signal %d", WTERMSIG(status));
    else
        snprintf(error, error_bytes, "ended with wait status %d", status);
}

/* Waits for pid, letting traffic flow; kills it past TARGET_HOOK_NS_MAX. */
static int hook_wait(pid_t pid, int (*wait_step)(void *ctx), void *ctx, char *error,
                     size_t error_bytes)
{
    uint64_t end = mono_ns() + TARGET_HOOK_NS_MAX;
    int status = 0;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR) {
            snprintf(error, error_bytes, "cannot wait for it: %s", strerror(errno));
            return MC_EIO;
        }
        if (mono_ns() >= end) {
            kill(pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
            snprintf(error, error_bytes, "still running after %llu s: killed",
                     (unsigned long long)(TARGET_HOOK_NS_MAX / 1000000000u));
            return MC_EIO;
        }
        if (wait_step == NULL || wait_step(ctx) != 0) {
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    status_describe(status, error, error_bytes);
    return MC_EIO;
}

int target__hook_run(const char *command, const struct target_hook_env *env,
                     int (*wait_step)(void *ctx), void *ctx, char *error, size_t error_bytes)
{
    char extra[HOOK_ENV_EXTRA][HOOK_ENV_VALUE_BYTES_MAX];
    char **envp = env_build(env, extra);
    if (envp == NULL)
        return MC_ENOMEM;
    posix_spawn_file_actions_t actions;
    int err = posix_spawn_file_actions_init(&actions);
    pid_t pid = 0;
    if (err == 0) {
        char *argv[] = {"sh", "-c", (char *)command, NULL};
        err = posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
        if (err == 0)
            err = posix_spawn(&pid, "/bin/sh", &actions, NULL, argv, envp);
        posix_spawn_file_actions_destroy(&actions);
    }
    free(envp);
    if (err != 0) {
        snprintf(error, error_bytes, "cannot start /bin/sh: %s", strerror(err));
        return MC_EIO;
    }
    return hook_wait(pid, wait_step, ctx, error, error_bytes);
}
