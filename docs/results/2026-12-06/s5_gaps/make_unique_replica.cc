// The shape of issue 20 part 1: std::make_unique<char[]>(n) value-initialises (memsets) each new
// block, and assigning it to the slot frees the old block only after the new one is taken.
#include <memory>
#include <random>
#include <cstdio>
int main() {
  std::unique_ptr<char[]> slots[20];
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<size_t> sz(5u << 20, 25u << 20), pick(0, 19);
  size_t sum = 0;
  for (int i = 0; i < 2000; i++) {
    size_t k = pick(rng);
    size_t n = sz(rng);
    slots[k] = std::make_unique<char[]>(n);
    sum += slots[k][n / 2];
  }
  printf("%zu\n", sum);
}
