/* sigsuspend_shim.c -- LD_PRELOAD shim so valgrind 3.19 can run Swift async-main programs.
 *
 * An async `main` parks the main thread in libdispatch's dispatch_main(), which calls
 * sigsuspend() on a *const* mask in read-only memory.  Valgrind 3.19's rt_sigsuspend wrapper
 * writes to the mask (to clear its own kill signal) and dies with SIGSEGV.  This shim passes
 * a writable copy instead; behaviour is otherwise identical.
 * Build: cc -O2 -shared -fPIC -o sigsuspend_shim.so sigsuspend_shim.c
 *
 * Carried in the repository (copied from the team's shared tools) because callgrind.sh needs it to
 * profile `rudp`, whose main is async, and a clone must be able to run the script on its own.
 * Only for profiling: nothing in the library or the tool links it. Drop it once the machines'
 * valgrind runs `rudp` under callgrind without it.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

int sigsuspend(const sigset_t *mask) {
    sigset_t copy = *mask;
    return (int)syscall(SYS_rt_sigsuspend, &copy, (long)(_NSIG / 8));
}
