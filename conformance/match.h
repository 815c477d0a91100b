/*
 * match.h: JSON subset matching with predicates, for expectations on
 * events and bodies.
 *
 * expected matches actual when:
 *  - expected is an object: every key of expected matches the same key of
 *    actual (keys of actual that expected does not name are ignored);
 *  - expected is an array: actual is an array of the same length whose
 *    elements match one by one, in order;
 *  - expected is a number: actual is a number of the same value (15 and
 *    15.0 are equal); a string, boolean or null: the same value;
 *  - expected is a predicate, an object whose keys all start with '$'
 *    (all of them must hold; scenarios/README.md, section 7, is the
 *    definition users read):
 *      {"$exists": true|false}     the key is present (or absent)
 *      {"$type": T}                string, number, integer, real, boolean,
 *                                  null, object or array
 *      {"$regex": "ERE"}           a string matching the POSIX extended
 *                                  regular expression (unanchored)
 *      {"$len": N}                 an array, object or string of length N
 *      {"$any": [e1, e2, ...]}     matches one of the alternatives
 *      {"$contains": [e1, ...]}    an array in which every alternative
 *                                  matches some element
 *      {"$eq": v}                  equal to v exactly (no subset inside)
 *    A predicate applies to the value at its place, which may be absent:
 *    only {"$exists": false} accepts an absent value.
 */
#ifndef MC_MATCH_H
#define MC_MATCH_H

#include <jansson.h>

#include "mc_buf.h"

/*
 * Returns 1 when expected matches actual (NULL: absent), else 0 with the
 * first mismatch appended to why ("subscribed.heartbeat_interval_seconds:
 * expected 15, got 30"). A malformed predicate never matches and says so.
 */
int match_json(const json_t *expected, const json_t *actual, struct mc_buf *why);

#endif
