/* Paired timing for bench/fetch.sh: runs command A, then command B, N times over (A B A B
 * ...), after W warm-up pairs, each as fork + exec + wait with stdout and stderr on
 * /dev/null, and prints one line per pair: "<ms A> <ms B>". Pairing puts both commands of a
 * pair under the same moment's machine load, so their ratio is steadier than two separate
 * series.
 *
 * Usage: pair N W A-ARGC A-ARGV... B-ARGV...
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double run(char **argv) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); exit(2); }
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execvp(argv[0], argv);
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) < 0) { perror("waitpid"); exit(2); }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "pair: %s failed (status %d)\n", argv[0], status);
        exit(1);
    }
    return (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
}

int main(int argc, char **argv) {
    if (argc < 6) return 2;
    int n = atoi(argv[1]), warm = atoi(argv[2]), na = atoi(argv[3]);
    if (4 + na >= argc) return 2;
    char **a = argv + 4;
    char **b = argv + 4 + na;
    /* A's own NULL-terminated copy (in argv it runs on into B). */
    char **acopy = calloc(na + 1, sizeof *acopy);
    for (int i = 0; i < na; i++) acopy[i] = a[i];
    for (int i = 0; i < warm; i++) { run(acopy); run(b); }
    for (int i = 0; i < n; i++) {
        double ta = run(acopy), tb = run(b);
        printf("%.4f %.4f\n", ta, tb);
    }
    return 0;
}
