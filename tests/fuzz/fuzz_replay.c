/* Runs a fuzz target's LLVMFuzzerTestOneInput over files, without libFuzzer: every argument is a file or a folder of
 * files (each one input). CTest runs each target over its seed corpus and its regression inputs this way, in the plain
 * and the sanitized host builds. Exits 1 when an argument cannot be read; a crash of the target is the test failing. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "%s: cannot open\n", path);
        return 1;
    }
    size_t cap = 4096, len = 0;
    uint8_t *buf = (uint8_t *)malloc(cap);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            cap *= 2;
            buf = (uint8_t *)realloc(buf, cap);
        }
    }
    fclose(f);
    /* An exact-size copy, so a read past the input's end is caught by the sanitizers. */
    uint8_t *exact = (uint8_t *)malloc(len == 0 ? 1 : len);
    memcpy(exact, buf, len);
    free(buf);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    return 0;
}

int main(int argc, char **argv)
{
    int inputs = 0;
    for (int i = 1; i < argc; ++i) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "%s: no such file or folder\n", argv[i]);
            return 1;
        }
        if (!S_ISDIR(st.st_mode)) {
            if (run_file(argv[i]) != 0) {
                return 1;
            }
            ++inputs;
            continue;
        }
        DIR *dir = opendir(argv[i]);
        struct dirent *e;
        while (dir != NULL && (e = readdir(dir)) != NULL) {
            if (e->d_name[0] == '.') {
                continue;
            }
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
            if (run_file(path) != 0) {
                closedir(dir);
                return 1;
            }
            ++inputs;
        }
        if (dir != NULL) {
            closedir(dir);
        }
    }
    printf("%d inputs ran\n", inputs);
    return 0;
}
