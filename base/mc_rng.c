/*
 * mc_rng.c: splitmix64 seeding xoshiro256**, integer draws only.
 *
 * Written from the published definitions of both generators; the unit
 * tests pin the first outputs for a few seeds, so any change to the
 * arithmetic (and with it every recorded trace hash) is caught.
 */
#include "mc_rng.h"

#include <stddef.h>

#include "mc_assert.h"

uint64_t mc_rng_splitmix64(uint64_t *state)
{
    MC_ASSERT(state != NULL);
    *state += UINT64_C(0x9e3779b97f4a7c15);
    uint64_t z = *state;
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

void mc_rng_init(struct mc_rng *rng, uint64_t seed)
{
    MC_ASSERT(rng != NULL);
    uint64_t state = seed;
    for (int i = 0; i < 4; i++)
        rng->s[i] = mc_rng_splitmix64(&state);
    /* splitmix64 is a bijection of its counter, so four outputs are never all 0. */
    MC_ASSERT((rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]) != 0);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t mc_rng_u64(struct mc_rng *rng)
{
    MC_ASSERT(rng != NULL);
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t mc_rng_below(struct mc_rng *rng, uint64_t n)
{
    MC_ASSERT(n >= 1);
    if (n == 1)
        return 0;
    /*
     * Reject draws from the incomplete last block of size (2^64 mod n), so
     * every residue has the same number of preimages. At most half of the
     * draws are rejected in the worst case (n just above 2^63), so the loop
     * ends quickly with overwhelming probability.
     */
    uint64_t threshold = (0 - n) % n;
    for (;;) {
        uint64_t x = mc_rng_u64(rng);
        if (x >= threshold)
            return x % n;
    }
}

uint64_t mc_rng_between(struct mc_rng *rng, uint64_t lo, uint64_t hi)
{
    MC_ASSERT(lo <= hi);
    if (lo == 0 && hi == UINT64_MAX)
        return mc_rng_u64(rng);
    return lo + mc_rng_below(rng, hi - lo + 1);
}

int mc_rng_ratio(struct mc_rng *rng, uint64_t num, uint64_t den)
{
    MC_ASSERT(den >= 1);
    MC_ASSERT(num <= den);
    if (num == 0)
        return 0;
    if (num == den)
        return 1;
    return mc_rng_below(rng, den) < num;
}
