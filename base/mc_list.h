/*
 * mc_list.h: an intrusive doubly linked list, iterated in insertion order.
 *
 * Embed a struct mc_list_node in the element and reach the element back with
 * MC_CONTAINER_OF. A list head is a node that links to itself when empty.
 */
#ifndef MC_LIST_H
#define MC_LIST_H

#include <stddef.h>

#define MC_CONTAINER_OF(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

struct mc_list_node {
    struct mc_list_node *prev;
    struct mc_list_node *next;
};

static inline void mc_list_init(struct mc_list_node *head)
{
    head->prev = head;
    head->next = head;
}

static inline int mc_list_empty(const struct mc_list_node *head)
{
    return head->next == head;
}

/* Appends node at the tail of the list. */
static inline void mc_list_push_back(struct mc_list_node *head, struct mc_list_node *node)
{
    node->prev = head->prev;
    node->next = head;
    head->prev->next = node;
    head->prev = node;
}

/* Unlinks node; it links to itself afterwards, so a second remove is harmless. */
static inline void mc_list_remove(struct mc_list_node *node)
{
    node->prev->next = node->next;
    node->next->prev = node->prev;
    node->prev = node;
    node->next = node;
}

#define MC_LIST_FOR_EACH(it, head) for ((it) = (head)->next; (it) != (head); (it) = (it)->next)

/* Safe against removal of it inside the loop. */
#define MC_LIST_FOR_EACH_SAFE(it, tmp, head) \
    for ((it) = (head)->next, (tmp) = (it)->next; (it) != (head); (it) = (tmp), (tmp) = (it)->next)

#endif
