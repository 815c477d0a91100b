/*
 * mc_rng.h: the seeded pseudo-random generator of a simulated world.
 *
 * Every choice a simulation makes (latencies, where a stream chunk is split,
 * ids handed to the cores) is drawn from one generator that the world owns
 * and passes explicitly; nothing calls the C library's generator or reads a
 * clock. The algorithm is xoshiro256** (Blackman and Vigna), whose 256-bit
 * state is filled from the 64-bit seed by splitmix64, as its authors
 * recommend. Both are defined bit for bit, so a seed gives the same
 * sequence on every machine, compiler and build type.
 *
 * The interface has no floating point at all (TigerBeetle's stdx/prng makes
 * the same choice): probabilities are integer ratios, ranges are integers,
 * and a draw below n has no modulo bias. That keeps every decision that
 * depends on the generator exact and reproducible.
 */
#ifndef MC_RNG_H
#define MC_RNG_H

#include <stdint.h>

/* The generator state. Plain data: copying it forks the sequence. */
struct mc_rng {
    uint64_t s[4];
};

/*
 * Seeds the generator. Any seed is fine, 0 included: splitmix64 spreads it
 * over the whole state, which therefore is never all zero.
 */
void mc_rng_init(struct mc_rng *rng, uint64_t seed);

/* The next 64 uniformly distributed bits. */
uint64_t mc_rng_u64(struct mc_rng *rng);

/*
 * A uniform integer in [0, n). n must be at least 1 (a programmer error
 * otherwise). Uses rejection, so no value is more likely than another.
 */
uint64_t mc_rng_below(struct mc_rng *rng, uint64_t n);

/*
 * A uniform integer in [lo, hi], both included; lo <= hi. The full range
 * [0, UINT64_MAX] is allowed.
 */
uint64_t mc_rng_between(struct mc_rng *rng, uint64_t lo, uint64_t hi);

/*
 * 1 with probability num/den, else 0. den must be at least 1 and num at
 * most den; 0/den is never and den/den is always, and neither draws from
 * the generator (so switching a fault off does not shift later choices).
 */
int mc_rng_ratio(struct mc_rng *rng, uint64_t num, uint64_t den);

/*
 * The splitmix64 step: advances *state and returns the next output. Exposed
 * because it is also a good way to derive independent seeds (one per world
 * of a sweep) from one run seed.
 */
uint64_t mc_rng_splitmix64(uint64_t *state);

#endif
