/* scratch: malloc, write the block byte by byte, free it right away (the store-then-load worst case) */
#include <stdlib.h>
#include <stdio.h>
int main(int argc, char **argv) {
    long iters = atol(argv[1]); size_t size = (size_t)atol(argv[2]); int words = argc > 3;
    unsigned long sum = 0;
    for (long i = 0; i < iters; i++) {
        unsigned char *p = malloc(size);
        if (words) { volatile unsigned long *w = (void *)p; for (size_t k = 0; k < size / 8; k++) w[k] = k + i; }
        else { volatile unsigned char *b = p; for (size_t k = 0; k < size; k++) b[k] = (unsigned char)(k + i); }
        sum += p[size - 1];
        free(p);
    }
    printf("%lu\n", sum);
    return 0;
}
