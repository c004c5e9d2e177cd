// cxx_test.cc -- C++ allocation through libstdc++ with malloc replaced by a hakmem variant:
// new/delete, new[]/delete[], over-aligned new (alignas(256)), nothrow and failing new, and
// std::vector/std::string/std::map/std::unordered_map churn with contents checked.
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>
#include <malloc.h>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <unordered_map>
#include <vector>

#include "hakmem.h"
#include "hakmem/tests/allocator_probe.h"
#include "hakmem/tests/check.h"

namespace {

struct Node {
    std::uint64_t a, b;
    Node *next;
};

struct alignas(256) Wide {
    unsigned char bytes[300];
};

struct alignas(4096) Paged {
    std::uint64_t v[3];
};

template <typename T>
bool aligned_to(const T *p, std::size_t a) {
    return (reinterpret_cast<std::uintptr_t>(p) & (a - 1)) == 0;
}

// Keeps the optimiser from eliding new/delete pairs whose results look unused.
void *volatile g_sink;

void test_scalar_and_array_new() {
    Node *head = nullptr;
    for (std::uint64_t i = 0; i < 20000; i++) {
        Node *n = new Node{i, ~i, head};
        CHECK(aligned_to(n, 16));
        head = n;
    }
    std::uint64_t expect = 19999;
    while (head) {
        CHECK(head->a == expect && head->b == ~expect);
        Node *next = head->next;
        delete head;
        head = next;
        expect--;
    }
    for (std::size_t n = 1; n < 200000; n = n * 3 + 1) {
        int *arr = new int[n];
        CHECK(aligned_to(arr, 16));
        for (std::size_t i = 0; i < n; i++) arr[i] = static_cast<int>(i * 7);
        for (std::size_t i = 0; i < n; i++) CHECK(arr[i] == static_cast<int>(i * 7));
        delete[] arr;
        std::string *strs = new std::string[n % 97 + 1];
        for (std::size_t i = 0; i < n % 97 + 1; i++) strs[i].assign(i + 20, 'x');
        delete[] strs;
    }
}

void test_aligned_new() {
    std::vector<Wide *> w;
    for (int i = 0; i < 500; i++) {
        Wide *p = new Wide;
        CHECKF(aligned_to(p, 256), "new alignas(256) = %p", static_cast<void *>(p));
        std::memset(p->bytes, i & 0xff, sizeof p->bytes);
        w.push_back(p);
    }
    for (int i = 0; i < 500; i++) {
        for (unsigned char c : w[i]->bytes) CHECK(c == (i & 0xff));
        delete w[i];
    }
    Wide *arr = new Wide[17];
    CHECK(aligned_to(arr, 256));
    delete[] arr;
    Paged *pg = new Paged;
    CHECK(aligned_to(pg, 4096));
    delete pg;
    void *raw = ::operator new(1000, std::align_val_t(1024));
    CHECK(aligned_to(static_cast<char *>(raw), 1024));
    std::memset(raw, 3, 1000);
    ::operator delete(raw, std::align_val_t(1024));
}

void test_failing_new() {
    bool threw = false;
    try {
        g_sink = ::operator new(std::numeric_limits<std::size_t>::max() / 2);
    } catch (const std::bad_alloc &) {
        threw = true;
    }
    CHECK(threw);
    g_sink = ::operator new(std::numeric_limits<std::size_t>::max() / 2, std::nothrow);
    CHECK(g_sink == nullptr);
    threw = false;
    try {
        std::size_t n = std::numeric_limits<std::size_t>::max() / 64;
        g_sink = new std::uint64_t[n];
    } catch (const std::bad_alloc &) {
        threw = true;
    }
    CHECK(threw);
}

void test_containers() {
    std::uint64_t s = 0x1234567u;
    std::vector<std::vector<std::uint32_t>> vv(64);
    std::map<std::uint32_t, std::string> m;
    std::unordered_map<std::uint64_t, std::vector<char>> um;
    for (int round = 0; round < 60000; round++) {
        std::uint64_t r = check_rand(&s);
        std::uint32_t k = static_cast<std::uint32_t>(r % 4096);
        switch (r >> 61) {
        case 0:
        case 1: {
            auto &v = vv[k % 64];
            std::size_t old = v.size();
            v.resize(old + (r >> 40) % 300);
            for (std::size_t i = old; i < v.size(); i++) v[i] = static_cast<std::uint32_t>(i ^ k);
            break;
        }
        case 2:
            vv[k % 64].clear();
            vv[k % 64].shrink_to_fit();
            break;
        case 3:
        case 4:
            m[k] = std::string((r >> 32) % 200, static_cast<char>('a' + k % 26));
            break;
        case 5:
            m.erase(k);
            break;
        default:
            if (r & 1)
                um[k] = std::vector<char>((r >> 20) % 5000, static_cast<char>(k));
            else
                um.erase(k);
        }
    }
    for (std::size_t j = 0; j < vv.size(); j++)
        for (std::size_t i = 0; i < vv[j].size(); i++) {
            // Elements of vv[j] were written as i ^ k with k % 64 == j.
            CHECK(((vv[j][i] ^ static_cast<std::uint32_t>(i)) % 64) == j);
        }
    for (const auto &kv : m)
        for (char c : kv.second) CHECK(c == static_cast<char>('a' + kv.first % 26));
    for (const auto &kv : um)
        for (char c : kv.second) CHECK(c == static_cast<char>(kv.first));
    std::string big;
    for (int i = 0; i < 200000; i++) big += static_cast<char>('0' + i % 10);
    for (int i = 0; i < 200000; i++) CHECK(big[i] == static_cast<char>('0' + i % 10));
    std::unique_ptr<char[]> up(new char[1 << 22]);
    std::memset(up.get(), 9, 1 << 22);
    CHECK(malloc_usable_size(up.get()) >= (1u << 22));
}

}  // namespace

int main() {
    expect_hakmem_allocator();
    test_scalar_and_array_new();
    test_aligned_new();
    test_failing_new();
    test_containers();
    return check_summary();
}
